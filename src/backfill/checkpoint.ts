/**
 * The backfill checkpoint: a small JSON file in DATA_DIR with, per list the backfill pages
 * through, the last element ID it finished, plus the spread schedule — so `--resume` continues
 * after Ctrl-C (or a crash) where it stopped, and the remaining hand-offs keep their places in
 * the same schedule. Written atomically (temp file + rename) after every page and on stop.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export const STREAMS = ['lostDeals', 'wonDeals', 'junkLeads'] as const;
export type StreamName = (typeof STREAMS)[number];

/** Per list: the last ID finished, whether the list is done, rows read, rows the portal counted at the start. */
const streamState = z.object({ lastId: z.number().int().min(0), done: z.boolean(), scanned: z.number().int().min(0), total: z.number().int().min(0) });

const checkpointSchema = z.object({
  version: z.literal(1),
  /** The --since as given, and the instant it means (portal time zone). */
  since: z.string(),
  sinceAt: z.string(),
  startedAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().optional(),
  /** The spread: hand-off number `slot` of `total` starts at spreadStartAt + spreadMs·slot/total. */
  spreadMs: z.number().int().min(0),
  spreadAuto: z.boolean(),
  spreadStartAt: z.string(),
  total: z.number().int().min(0),
  slot: z.number().int().min(0),
  handedOff: z.number().int().min(0),
  streams: z.object({ lostDeals: streamState, wonDeals: streamState, junkLeads: streamState }),
});

export type Checkpoint = z.output<typeof checkpointSchema>;

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

export function emptyStreams(): Checkpoint['streams'] {
  return {
    lostDeals: { lastId: 0, done: false, scanned: 0, total: 0 },
    wonDeals: { lastId: 0, done: false, scanned: 0, total: 0 },
    junkLeads: { lastId: 0, done: false, scanned: 0, total: 0 },
  };
}

/** The checkpoint in `file`, undefined when there is none; CheckpointError when unreadable. */
export function loadCheckpoint(file: string): Checkpoint | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CheckpointError(`cannot read the checkpoint ${file}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CheckpointError(`the checkpoint ${file} is not JSON; delete it to start over`);
  }
  const parsed = checkpointSchema.safeParse(data);
  if (!parsed.success) throw new CheckpointError(`the checkpoint ${file} is not a backfill checkpoint (${parsed.error.issues[0]?.message}); delete it to start over`);
  return parsed.data;
}

export function saveCheckpoint(file: string, checkpoint: Checkpoint): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(checkpoint, null, 2)}\n`);
  fs.renameSync(tmp, file);
}
