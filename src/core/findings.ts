export type Severity = 'error' | 'warning' | 'info';

/** Something a step observed. `error` blocks writes (run) or means drift (audit). */
export interface Finding {
  severity: Severity;
  code: string;
  message: string;
  fix?: string;
}

/** A finding, without an empty `fix`. */
export const finding = (severity: Finding['severity'], code: string, message: string, fix?: string): Finding =>
  fix ? { severity, code, message, fix } : { severity, code, message };
