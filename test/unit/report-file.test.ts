import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeReportText } from '../../src/report.js';

describe('writeReportText: the --report file', () => {
  it('follows no link planted where the temporary file would go, and writes the report 0600', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'epim-report-'));
    const victim = path.join(dir, 'victim.txt');
    writeFileSync(victim, 'untouched\n');
    const file = path.join(dir, 'report.md');
    // The temporary name the report used to take: its folder, its name and this process id.
    symlinkSync(victim, path.join(dir, `.report.md.${process.pid}.tmp`));
    writeReportText(file, '# report\n');
    expect(readFileSync(victim, 'utf8')).toBe('untouched\n');
    expect(readFileSync(file, 'utf8')).toBe('# report\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp') && !f.includes(`${process.pid}.tmp`))).toEqual([]);
  });
});
