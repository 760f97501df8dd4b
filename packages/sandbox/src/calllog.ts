/**
 * Every REST call the sandbox answered (or refused): tests read it to count HTTP requests and
 * see which methods ran. A `batch` is one entry, its sub-calls follow as `viaBatch` entries with
 * the same requestId. Params are stored without the `auth` token.
 */
export interface CallLogEntry {
  requestId: string;
  method: string;
  params: Record<string, unknown>;
  /** ISO time the call was received. */
  at: string;
  httpStatus: number;
  /** Same as httpStatus (docs/architecture.md names it `status`). */
  status: number;
  error?: string;
  viaBatch?: boolean;
  auth?: 'webhook' | 'app' | 'none';
  durationMs?: number;
  /** The change was committed and the connection destroyed without an answer (fault). */
  lostResponse?: boolean;
}

const MAX = 20_000;

export class CallLog {
  private list: CallLogEntry[] = [];

  add(e: Omit<CallLogEntry, 'status'>): CallLogEntry {
    const entry: CallLogEntry = { ...e, status: e.httpStatus };
    this.list.push(entry);
    if (this.list.length > MAX) this.list.splice(0, this.list.length - MAX);
    return entry;
  }

  /** All entries, oldest first (a copy). */
  get entries(): CallLogEntry[] {
    return [...this.list];
  }

  /** Entries that were HTTP requests (not batch sub-calls). */
  httpRequests(): CallLogEntry[] {
    return this.list.filter((e) => !e.viaBatch);
  }

  /** Entries of one method (HTTP requests and batch sub-calls). */
  calls(method: string): CallLogEntry[] {
    const m = method.toLowerCase();
    return this.list.filter((e) => e.method === m);
  }

  /** Method name → number of calls. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.list) out[e.method] = (out[e.method] ?? 0) + 1;
    return out;
  }

  clear(): void {
    this.list = [];
  }

  get size(): number {
    return this.list.length;
  }
}
