import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileJournal, journalFileProblem, type JournalFs } from '../../src/journal-file.js';
import { readJournal } from '../../src/journal-reading.js';
import type { HttpRequest } from '../../src/core/http.js';

const tmp = async (name = 'journal.jsonl') => path.join(await mkdtemp(path.join(os.tmpdir(), 'epim-unit-')), name);
const removal = (id: string): HttpRequest => ({ method: 'DELETE', url: `/groups/g1/members/${id}/$ref` });
const realFsync: JournalFs['fsync'] = () => {};

/** Writes at most `chunk` bytes per call, as the kernel may under a limit; fails once `budget` is spent. */
function limitedFs(chunk: number, budget = Infinity, code = 'EFBIG'): JournalFs & { calls: number } {
  let left = budget;
  const fs = {
    calls: 0,
    write(fd: number, buffer: Buffer, offset: number, length: number): number {
      fs.calls++;
      if (left <= 0) throw Object.assign(new Error(`${code}: file too large`), { code });
      const n = writeSync(fd, buffer, offset, Math.min(length, chunk, left));
      left -= n;
      return n;
    },
    fsync: realFsync,
  };
  return fs;
}

describe('FileJournal: a write cut short', () => {
  it('writes the rest of a record that the file took only in part', async () => {
    const file = await tmp();
    const fs = limitedFs(7);
    const j = new FileJournal(file, '--journal', fs);
    j.note({ type: 'start', time: 't', tool: 'entra-pim-setup', version: '1', mode: 'run', tenantId: 'x', argv: [] });
    j.beforeMany('graph', [{ request: removal('a'), backup: { member: { id: 'a', displayName: 'Alice' } } }, { request: removal('b') }]);
    j.after(2, { ok: true, status: 204 });
    j.close('changed');
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).type)).toEqual(['start', 'before', 'before', 'after', 'end']);
    expect(fs.calls).toBeGreaterThan(lines.length);
  });

  it.each(['EFBIG', 'ENOSPC'])(
    '%s mid-record: before() throws naming the flag, the torn tail is cut off, and nothing more is accepted',
    async (code) => {
      const file = await tmp();
      const first = new FileJournal(file);
      first.before('graph', removal('a'));
      first.close('changed');
      const intact = readFileSync(file, 'utf8');

      // Room for part of the next record only.
      const j = new FileJournal(file, '--journal', limitedFs(5, 40, code));
      expect(() => j.before('graph', removal('b'), { member: { id: 'b' } })).toThrow(
        new RegExp(`^--journal ${file.replace(/[/.]/g, '\\$&')}: the journal could not be written \\(${code}\\).*was not sent`),
      );
      expect(readFileSync(file, 'utf8')).toBe(intact);
      // The next write (the caller's next removal) is refused too, even with room again.
      expect(() => j.before('graph', removal('c'))).toThrow(/could not be written/);
      expect(() => j.after(1, { ok: true })).not.toThrow();
      expect(() => j.close('failed')).not.toThrow();
      expect(j.failure).toMatch(/^--journal /);
      expect(readFileSync(file, 'utf8')).toBe(intact);
      expect(readJournal(intact).every((e) => e.type !== 'before' || e.request.url !== removal('b').url)).toBe(true);
    },
  );

  it('an answer that cannot be recorded stops the run: after() throws once, later requests are refused', async () => {
    const file = await tmp();
    const j = new FileJournal(file, '--journal', limitedFs(1 << 20, 400));
    const seq = j.before('graph', removal('a'));
    const intact = readFileSync(file, 'utf8');
    expect(() => j.after(seq, { ok: true, status: 204, response: { filler: 'x'.repeat(1000) } })).toThrow(
      /could not be written \(EFBIG\).*the answer to a request already sent is not recorded/,
    );
    expect(() => j.before('graph', removal('b'))).toThrow(/could not be written/);
    j.close('failed');
    expect(readFileSync(file, 'utf8')).toBe(intact);
  });

  it('a write that takes no bytes is an error, not an endless loop', async () => {
    const file = await tmp();
    const j = new FileJournal(file, '--journal', { write: () => 0, fsync: realFsync });
    expect(() => j.before('graph', removal('a'))).toThrow(/could not be written \(EIO\)/);
  });

  it('a failed flush stops the journal as well', async () => {
    const file = await tmp();
    const j = new FileJournal(file, '--journal', {
      write: (fd, b, o, l) => writeSync(fd, b, o, l),
      fsync: () => {
        throw Object.assign(new Error('EIO'), { code: 'EIO' });
      },
    });
    expect(() => j.before('graph', removal('a'))).toThrow(/could not be written \(EIO\)/);
    expect(readFileSync(file, 'utf8')).toBe('');
  });
});

describe('FileJournal: what it opens', () => {
  it('refuses a symbolic link, before (check) and at the open, and leaves its target alone', async () => {
    const target = await tmp('target.txt');
    writeFileSync(target, 'keep\n');
    const link = path.join(path.dirname(target), 'journal.jsonl');
    symlinkSync(target, link);
    const j = new FileJournal(link);
    expect(() => j.check()).toThrow(/^--journal .*journal\.jsonl: is a symbolic link/);
    expect(() => j.before('graph', removal('a'))).toThrow(/^--journal .*journal\.jsonl: is a symbolic link.*nothing was sent/);
    expect(readFileSync(target, 'utf8')).toBe('keep\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('names --restore-journal when that is the flag', async () => {
    const dir = path.dirname(await tmp());
    mkdirSync(path.join(dir, 'sub'));
    expect(() => new FileJournal(path.join(dir, 'sub'), '--restore-journal').check()).toThrow(
      /^--restore-journal .*sub: is not a regular file/,
    );
  });

  it('refuses a FIFO at once instead of hanging on it', async () => {
    const fifo = await tmp('fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => new FileJournal(fifo).check()).toThrow(/is not a regular file/);
    expect(() => new FileJournal(fifo).before('graph', removal('a'))).toThrow(/^--journal .*fifo: /);
  });

  it('narrows an existing world-readable journal to 0600 and appends to it', async () => {
    const file = await tmp();
    writeFileSync(file, '{"type":"end","time":"t","status":"changed"}\n');
    chmodSync(file, 0o644);
    const j = new FileJournal(file);
    j.check();
    j.before('graph', removal('a'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    j.close('changed');
    expect(readJournal(readFileSync(file, 'utf8')).map((e) => e.type)).toEqual(['end', 'before', 'end']);
  });

  it('creates a new journal 0600', async () => {
    const file = await tmp();
    const old = process.umask(0);
    try {
      new FileJournal(file).before('graph', removal('a'));
    } finally {
      process.umask(old);
    }
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('journalFileProblem: only a regular file owned by the caller will do', () => {
    const st = (o: { file?: boolean; link?: boolean; uid?: number }) => ({
      isFile: () => o.file ?? true,
      isSymbolicLink: () => o.link ?? false,
      uid: o.uid ?? 1000,
    });
    expect(journalFileProblem(st({}), 1000)).toBeUndefined();
    expect(journalFileProblem(st({ uid: 0 }), 1000)).toMatch(/owned by another user \(uid 0\)/);
    expect(journalFileProblem(st({ link: true, file: false }), 1000)).toMatch(/symbolic link/);
    expect(journalFileProblem(st({ file: false }), 1000)).toMatch(/not a regular file/);
    expect(journalFileProblem({ ...st({}), nlink: 2 }, 1000)).toMatch(/has 2 names \(hard links\)/);
  });

  it('a hard-linked journal is refused before anything is written through it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'epim-hl-'));
    const file = path.join(dir, 'journal.jsonl');
    const other = path.join(dir, 'elsewhere.jsonl');
    writeFileSync(other, '', { mode: 0o600 });
    linkSync(other, file);
    const journal = new FileJournal(file);
    expect(() => journal.check()).toThrow(/has 2 names \(hard links\)/);
    expect(readFileSync(other, 'utf8')).toBe('');
  });
});
