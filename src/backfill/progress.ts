/**
 * Backfill progress on a terminal: one line redrawn in place (bar, percentage, counts); on
 * anything else (a log file, CI): a plain line per 10% and at the end of each list.
 */
import type { StreamName } from './checkpoint';

export interface BackfillProgress {
  stream: StreamName;
  /** Rows of this list processed, and how many the portal counted (null: unknown). */
  processed: number;
  total: number | null;
  handedOff: number;
  skipped: number;
  alreadyHandled: number;
  dryRun: boolean;
}

export interface BackfillReporter {
  /** A line of the report (clears and redraws the progress line around it on a TTY). */
  line(text: string): void;
  progress(p: BackfillProgress): void;
  /** The list is done: finish its progress line. */
  endStream(p: BackfillProgress): void;
}

export const STREAM_LABEL: Record<StreamName, string> = {
  lostDeals: 'lost deals',
  wonDeals: 'won deals',
  junkLeads: 'junk leads',
};

export function describeProgress(p: BackfillProgress): string {
  const of = p.total !== null ? `/${p.total}` : '';
  const pct = p.total ? ` (${Math.min(100, Math.floor((p.processed / p.total) * 100))}%)` : '';
  const acted = p.dryRun ? `${p.handedOff} would be handed off` : `${p.handedOff} handed off, ${p.alreadyHandled} already handled`;
  return `${STREAM_LABEL[p.stream]}: ${p.processed}${of}${pct}, ${acted}, ${p.skipped} skipped`;
}

interface Writable {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function consoleReporter(out: Writable = process.stdout, opts: { tty?: boolean; now?: () => number } = {}): BackfillReporter {
  const tty = opts.tty ?? !!out.isTTY;
  const now = opts.now ?? Date.now;
  let shown = ''; // the progress line currently on screen (TTY)
  let lastDraw = 0;
  let lastDecile = new Map<StreamName, number>();

  const draw = (p: BackfillProgress) => {
    const width = 24;
    const ratio = p.total ? Math.min(1, p.processed / p.total) : 0;
    const filled = Math.round(ratio * width);
    const bar = p.total ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
    let text = `${bar}${describeProgress(p)}`;
    const columns = out.columns ?? 120;
    if (text.length > columns - 1) text = text.slice(0, columns - 1);
    out.write(`\r\x1b[2K${text}`);
    shown = text;
  };
  const clear = () => {
    if (shown) out.write('\r\x1b[2K');
  };

  return {
    line(text) {
      if (tty && shown) {
        clear();
        out.write(`${text}\n`);
        out.write(shown);
      } else {
        out.write(`${text}\n`);
      }
    },
    progress(p) {
      if (tty) {
        if (now() - lastDraw < 100) return;
        lastDraw = now();
        draw(p);
        return;
      }
      if (!p.total) return;
      const decile = Math.floor((p.processed / p.total) * 10);
      if (decile > (lastDecile.get(p.stream) ?? 0) && decile < 10) {
        lastDecile.set(p.stream, decile);
        out.write(`${describeProgress(p)}\n`);
      }
    },
    endStream(p) {
      if (tty) {
        draw(p);
        out.write('\n');
        shown = '';
        lastDraw = 0;
        return;
      }
      lastDecile = new Map(lastDecile).set(p.stream, 10);
      out.write(`${describeProgress(p)} — done\n`);
    },
  };
}

/** A reporter that keeps everything (tests). */
export function memoryReporter(): BackfillReporter & { lines: string[]; updates: BackfillProgress[] } {
  const lines: string[] = [];
  const updates: BackfillProgress[] = [];
  return {
    lines,
    updates,
    line: (text) => lines.push(text),
    progress: (p) => updates.push({ ...p }),
    endStream: (p) => {
      updates.push({ ...p });
      lines.push(`${describeProgress(p)} — done`);
    },
  };
}
