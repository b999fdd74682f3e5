import type { HttpRequest } from './http.js';

/** The system a write goes to, as the journal names it. */
export type WriteTarget = 'graph' | 'keycloak';

/** What the journal records as a write's answer. */
export interface WriteAnswer {
  ok: boolean;
  /** No answer was understood: the request may have taken effect. */
  outcome?: 'unknown';
  status?: number;
  message?: string;
  response?: unknown;
}

/** The journal calls the gate makes (the run's Journal has them). */
export interface JournalWriter {
  before(target: WriteTarget, request: HttpRequest, backup?: unknown): number;
  beforeMany(target: WriteTarget, items: Array<{ request: HttpRequest; backup?: unknown }>): number[];
  after(seq: number, result: WriteAnswer): void;
}

export interface WriteGateOptions {
  target: WriteTarget;
  journal: JournalWriter;
  /** Audit mode: every write is refused. */
  readOnly: boolean;
  /** The error for a write refused in read-only mode; `what` is `METHOD url` or `$batch write`. */
  refused(what: string): Error;
  /** The gateway's counters: `writes` counts every request journaled. */
  stats: { writes: number };
}

/**
 * The single write gate both gateways (Graph, Keycloak) send through: it refuses every write in
 * read-only mode, journals the request (and the backup of what it removes) before it is sent,
 * and journals the answer. The gateway sends and says what its answer means.
 */
export class WriteGate {
  constructor(private readonly opts: WriteGateOptions) {}

  get readOnly(): boolean {
    return this.opts.readOnly;
  }

  /** Throws the gateway's read-only error when this connection may not write. */
  assertWritable(what: string): void {
    if (this.opts.readOnly) throw this.opts.refused(what);
  }

  /**
   * One write: `send` runs only once the request is on disk. `answer` reads a result, `failure`
   * an error `send` threw (which is then thrown on).
   */
  async write<R>(
    request: HttpRequest,
    backup: unknown,
    send: () => Promise<R>,
    record: { answer(result: R): WriteAnswer; failure(err: unknown): WriteAnswer },
  ): Promise<R> {
    this.assertWritable(`${request.method} ${request.url}`);
    const seq = this.opts.journal.before(this.opts.target, request, backup);
    this.opts.stats.writes++;
    let result: R;
    try {
      result = await send();
    } catch (err) {
      this.opts.journal.after(seq, record.failure(err));
      throw err;
    }
    this.opts.journal.after(seq, record.answer(result));
    return result;
  }

  /**
   * Writes sent together: every item is on disk (one flush) before `send` runs. `send` reports
   * each item's answer through `answered` as it comes; if it throws, every item not answered is
   * journaled with `failure(err)`.
   */
  async writeMany<R>(
    items: Array<{ request: HttpRequest; backup?: unknown }>,
    send: (answered: (index: number, answer: WriteAnswer) => void) => Promise<R>,
    failure: (err: unknown) => WriteAnswer,
  ): Promise<R> {
    this.assertWritable('$batch write');
    const seqs = this.opts.journal.beforeMany(this.opts.target, items);
    this.opts.stats.writes += items.length;
    const done = new Set<number>();
    try {
      return await send((i, answer) => {
        done.add(i);
        this.opts.journal.after(seqs[i], answer);
      });
    } catch (err) {
      seqs.forEach((seq, i) => {
        if (!done.has(i)) this.opts.journal.after(seq, failure(err));
      });
      throw err;
    }
  }
}
