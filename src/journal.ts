import type { HttpRequest } from './core/http.js';
import { redact } from './core/redact.js';

/** One line of the journal (JSON Lines). */
export type JournalEntry =
  | {
      type: 'start';
      time: string;
      tool: string;
      version: string;
      mode: string;
      tenantId: string;
      cloud?: string;
      graphEndpoint?: string;
      argv: string[];
    }
  | { type: 'before'; time: string; seq: number; target: 'graph' | 'keycloak'; request: HttpRequest; backup?: unknown }
  | { type: 'after'; time: string; seq: number; ok: boolean; outcome?: 'unknown'; status?: number; message?: string; response?: unknown }
  | { type: 'group'; time: string; groupId: string; displayName: string }
  /** The change ticket the run's eligibility requests carry as PIM `ticketInfo`, noted before the first write. */
  | { type: 'ticket'; time: string; ticketNumber: string; ticketSystem?: string }
  /** `run --plan`: the saved plan applied, noted before the first write. */
  | { type: 'plan'; time: string; file: string; digest: string; createdAt: string }
  | { type: 'end'; time: string; status: string };

/**
 * Append-only record of every write: the exact request and, for removals, the full record of
 * what is removed, flushed to disk *before* the request is sent, then the result (written at
 * once, flushed with the next `before` or the close). `restore` reads it back. Created 0600;
 * values are redacted, so it never holds secrets.
 */
export interface Journal {
  readonly path: string | undefined;
  /** Records a write about to be sent; returns its sequence number. */
  before(target: 'graph' | 'keycloak', request: HttpRequest, backup?: unknown): number;
  /** Records writes sent together (one `$batch`), flushed to disk once before they go out. */
  beforeMany(target: 'graph' | 'keycloak', items: Array<{ request: HttpRequest; backup?: unknown }>): number[];
  after(seq: number, result: { ok: boolean; outcome?: 'unknown'; status?: number; message?: string; response?: unknown }): void;
  note(entry: JournalEntry): void;
  close(status: string): void;
}

/** Collects entries in memory (unit tests). */
export class MemoryJournal implements Journal {
  readonly path = undefined;
  readonly entries: JournalEntry[] = [];
  private seq = 0;
  before(target: 'graph' | 'keycloak', request: HttpRequest, backup?: unknown): number {
    const seq = ++this.seq;
    this.entries.push(redact({ type: 'before', time: new Date().toISOString(), seq, target, request, backup }));
    return seq;
  }
  beforeMany(target: 'graph' | 'keycloak', items: Array<{ request: HttpRequest; backup?: unknown }>): number[] {
    return items.map((it) => this.before(target, it.request, it.backup));
  }
  after(seq: number, result: { ok: boolean; outcome?: 'unknown'; status?: number; message?: string; response?: unknown }): void {
    this.entries.push(redact({ type: 'after', time: new Date().toISOString(), seq, ...result }));
  }
  note(entry: JournalEntry): void {
    this.entries.push(redact(entry));
  }
  close(): void {}
}
