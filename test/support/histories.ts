/**
 * Recorded workflow histories (binary protobuf) for the replay test. `RECORD_HISTORIES=1` makes
 * the time-skipping tests write them; otherwise recording is a no-op.
 */
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';

export const HISTORIES_DIR = path.resolve(__dirname, '..', 'fixtures', 'histories');

export async function recordHistory(name: string, history: temporal.api.history.v1.IHistory): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  fs.writeFileSync(path.join(HISTORIES_DIR, `${name}.binpb`), temporal.api.history.v1.History.encode(history).finish());
}

export function recordedHistories(): { name: string; history: temporal.api.history.v1.History }[] {
  if (!fs.existsSync(HISTORIES_DIR)) return [];
  return fs
    .readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.binpb'))
    .map((f) => ({ name: f.replace(/\.binpb$/, ''), history: temporal.api.history.v1.History.decode(fs.readFileSync(path.join(HISTORIES_DIR, f))) }));
}
