import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  openSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { UsageError } from './errors.js';
import type { HttpRequest } from './core/http.js';
import { redact } from './core/redact.js';
import type { Journal, JournalEntry } from './journal.js';

/** Default journal name: timestamped, in the working directory. */
export function defaultJournalPath(now: Date, cwd = process.cwd()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return path.join(cwd, `entra-pim-setup-journal-${stamp}.jsonl`);
}

/** The file calls a journal makes; tests swap in one that writes short or fails. */
export interface JournalFs {
  write(fd: number, buffer: Buffer, offset: number, length: number): number;
  fsync(fd: number): void;
}

const NODE_FS: JournalFs = {
  write: (fd, buffer, offset, length) => writeSync(fd, buffer, offset, length),
  fsync: (fd) => fsyncSync(fd),
};

/**
 * Pure: why an existing file may not serve as a journal, or undefined when it may. A link could
 * send the records elsewhere, and a file someone else owns could be read (or rewritten) by them.
 */
export function journalFileProblem(
  st: { isFile(): boolean; isSymbolicLink(): boolean; uid: number; nlink?: number },
  uid: number | undefined,
): string | undefined {
  if (st.isSymbolicLink()) return 'is a symbolic link; give the path of a regular file (or of a new one)';
  if (!st.isFile()) return 'is not a regular file';
  if (uid !== undefined && st.uid !== uid) return `is owned by another user (uid ${st.uid}); give a file you own (or a new one)`;
  // A second name for the file (a hard link) is the symbolic link's trick without the link:
  // the records would also land wherever that other name is.
  if (st.nlink !== undefined && st.nlink > 1) return `has ${st.nlink} names (hard links); give a file of its own (or a new one)`;
  return undefined;
}

/**
 * A journal that could not be opened, checked or written. When a `before` entry failed, its
 * request is not sent; when an `after` entry failed, the request was sent and only its answer is
 * unrecorded (the message says which). Either way no further request is sent.
 */
export class JournalError extends Error {
  override name = 'JournalError';
}

/** A journal on disk. The file is only created at the first entry, so audits leave nothing behind. */
export class FileJournal implements Journal {
  private fd: number | undefined;
  private seq = 0;
  private readonly pending: JournalEntry[] = [];
  /** Bytes known to be complete in the file: a failed append is cut back to here. */
  private size = 0;
  /** Set by the first failed write: nothing more is written, and no further request is sent. */
  private broken: string | undefined;

  /** `flag` names the journal in errors (`--journal`, `--restore-journal`). */
  constructor(
    readonly path: string,
    private readonly flag = '--journal',
    private readonly fs: JournalFs = NODE_FS,
  ) {}

  /**
   * Checks an existing file before the run sends anything, so a link or someone else's file is
   * refused as bad input rather than at the first write. The open repeats the checks on the
   * descriptor itself, since the path can change in between.
   */
  check(): void {
    let st;
    try {
      st = lstatSync(this.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return this.checkFolder();
      if (code === 'ENOTDIR')
        throw new UsageError(
          `${this.flag} ${this.path}: ${path.dirname(this.path)} is not a folder; give a file in a folder you can write to`,
        );
      throw new UsageError(`${this.flag} ${this.path}: cannot check that file (${code ?? String(err)})`);
    }
    const problem = journalFileProblem(st, process.getuid?.());
    if (problem) throw new UsageError(`${this.flag} ${this.path}: ${problem}`);
    // Opened for appending as the first write will open it (no O_CREAT: it exists, and nothing is
    // written), so a file that refuses writes is found before the first request, not after every
    // plan has run.
    try {
      closeSync(openSync(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW | constants.O_NONBLOCK));
    } catch (err) {
      throw new UsageError(
        `${this.flag} ${this.path}: cannot write to that file (${(err as NodeJS.ErrnoException).code ?? String(err)}); give a ` +
          `file you can write to (or a new one)`,
      );
    }
  }

  /**
   * The journal does not exist yet and is created at the first write: a file is created there now
   * the way the journal will be, and removed at once, since a run that changes nothing leaves no
   * journal. Permission bits alone do not tell (root passes them; /proc, a read-only mount or an
   * ACL refuse all the same), a real create does.
   */
  private checkFolder(): void {
    const dir = path.dirname(path.resolve(this.path));
    const refuse = (why: string) =>
      new UsageError(`${this.flag} ${this.path}: folder ${dir} ${why}; give a file in a folder you can write to`);
    try {
      if (!statSync(dir).isDirectory()) throw refuse('is not a folder');
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw refuse(
        (err as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'does not exist'
          : `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
    }
    let fd: number;
    try {
      fd = openSync(
        this.path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | constants.O_NONBLOCK,
        0o600,
      );
    } catch (err) {
      // Created by someone else in between: the open at the first write checks that file.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
      throw refuse(`does not take new files (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    closeSync(fd);
    try {
      unlinkSync(this.path);
    } catch {
      // An empty journal left behind is harmless: the first write appends to it.
    }
  }

  private open(): number {
    let fd: number;
    try {
      // O_NOFOLLOW: a link planted at the path fails (ELOOP) instead of being appended to.
      // O_NONBLOCK: a FIFO without a reader fails (ENXIO) instead of hanging the run; it has no
      // effect on a regular file. O_APPEND keeps a re-run with the same --journal appending.
      fd = openSync(
        this.path,
        constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
        0o600,
      );
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'ELOOP'
          ? 'is a symbolic link; give the path of a regular file (or of a new one)'
          : `cannot open it (${code ?? String(err)})`;
      throw new JournalError(`${this.flag} ${this.path}: ${why}; nothing was sent`);
    }
    try {
      const st = fstatSync(fd);
      const problem = journalFileProblem({ isFile: () => st.isFile(), isSymbolicLink: () => false, uid: st.uid }, process.getuid?.());
      if (problem) throw new JournalError(`${this.flag} ${this.path}: ${problem}; nothing was sent`);
      // It holds people's full records: an existing journal created 0644 is narrowed too.
      if ((st.mode & 0o777) !== 0o600) fchmodSync(fd, 0o600);
      this.size = st.size;
    } catch (err) {
      closeSync(fd);
      throw err instanceof JournalError
        ? err
        : new JournalError(
            `${this.flag} ${this.path}: cannot secure it (${(err as NodeJS.ErrnoException).code ?? String(err)}); nothing was sent`,
          );
    }
    return fd;
  }

  private write(entry: JournalEntry, flush = true): void {
    if (this.broken) throw new JournalError(this.broken);
    if (this.fd === undefined) {
      this.fd = this.open();
      this.wrote = true;
    }
    const lines = [...this.pending.splice(0), entry].map((e) => JSON.stringify(redact(e)) + '\n').join('');
    const buffer = Buffer.from(lines, 'utf8');
    try {
      // A write may take fewer bytes than asked (a file-size limit, a full disk just before it
      // fails): write the rest until every byte is in, so no record is half on disk.
      for (let off = 0; off < buffer.length;) {
        const n = this.fs.write(this.fd, buffer, off, buffer.length - off);
        if (n <= 0) throw Object.assign(new Error('no bytes written'), { code: 'EIO' });
        off += n;
      }
      if (flush) this.fs.fsync(this.fd);
      this.size += buffer.length;
    } catch (err) {
      // Cut the torn tail off (best effort), so the journal ends with its last complete record.
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        // The journal keeps a torn last line, which readJournal skips.
      }
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      const what = entry.type === 'after' ? 'the answer to a request already sent is not recorded' : 'the request it was for was not sent';
      this.broken =
        `${this.flag} ${this.path}: the journal could not be written (${code}) and nothing more is sent; ${what}. Free space (or ` +
        `lift the file-size limit) and run again`;
      throw new JournalError(this.broken);
    }
  }

  /** Entries such as `start` wait until there is a write worth journaling. */
  note(entry: JournalEntry): void {
    if (this.fd === undefined) this.pending.push(entry);
    else this.write(entry);
  }

  before(target: 'graph' | 'keycloak', request: HttpRequest, backup?: unknown): number {
    const seq = ++this.seq;
    this.write({ type: 'before', time: new Date().toISOString(), seq, target, request, backup });
    return seq;
  }

  beforeMany(target: 'graph' | 'keycloak', items: Array<{ request: HttpRequest; backup?: unknown }>): number[] {
    const time = new Date().toISOString();
    const seqs = items.map((it, i) => {
      const seq = ++this.seq;
      this.write({ type: 'before', time, seq, target, request: it.request, backup: it.backup }, i === items.length - 1);
      return seq;
    });
    return seqs;
  }

  after(seq: number, result: { ok: boolean; outcome?: 'unknown'; status?: number; message?: string; response?: unknown }): void {
    // Once the journal failed, the error already stopped the run; a caller recording the other
    // answers of the same batch on its way out must not replace that error with this one.
    if (this.broken) return;
    // Written at once (a killed process loses nothing the kernel has) but not flushed on its own:
    // the next `before` or the close flushes it. Losing an answer to a power cut leaves its
    // `before` without an outcome, which restore already treats as possibly done. Emptying 5,000
    // members would otherwise wait for 5,000 flushes.
    this.write({ type: 'after', time: new Date().toISOString(), seq, ...result }, false);
  }

  private wrote = false;

  /** Whether anything was ever written (stays true after close). */
  get written(): boolean {
    return this.wrote;
  }

  /** Why the journal stopped accepting entries, if it did (one line naming the flag and file). */
  get failure(): string | undefined {
    return this.broken;
  }

  close(status: string): void {
    if (this.fd === undefined) return;
    try {
      if (!this.broken) this.write({ type: 'end', time: new Date().toISOString(), status });
    } catch {
      // The run's outcome is already decided; the journal ends with its last complete record.
    } finally {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
