/**
 * Child processes for tests that need a real crash (SIGKILL) or a real CLI run: TypeScript files
 * run through tsx, output captured, and every child killed when the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface TsProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout + stderr so far. */
  output(): string;
  /** Resolves with the first output line matching `pattern`; rejects if the process exits first or on timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Sends `signal` (default SIGKILL) and waits for the exit; resolves with the exit code or signal. */
  kill(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | NodeJS.Signals | null>;
  /** Resolves when the process exits on its own. */
  exited(): Promise<number | NodeJS.Signals | null>;
}

export function runTs(file: string, opts: { env?: Record<string, string | undefined>; args?: string[]; cwd?: string } = {}): TsProcess {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), path.resolve(REPO_ROOT, file), ...(opts.args ?? [])], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 1_000_000) out = out.slice(-500_000);
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  // 'exit' can come before the last output has been read from the pipes (Node: "the child's
  // stdio streams might still be open"): a test reading output() right after exited() would
  // miss the final lines. So the process counts as finished once its pipes are closed too
  // ('close'), or at the latest 10 s after 'exit' (a grandchild holding the pipes open).
  let finished = false;
  const exit = new Promise<number | NodeJS.Signals | null>((resolve) => {
    const finish = () => {
      if (finished) return;
      finished = true;
      live.delete(child);
      resolve(child.signalCode ?? child.exitCode);
      for (const l of listeners) l();
    };
    child.once('close', finish);
    child.once('exit', () => setTimeout(finish, 10_000).unref());
  });
  const done = () => finished;
  const running = () => child.exitCode === null && child.signalCode === null;

  return {
    child,
    pid: child.pid!,
    output: () => out,
    exited: () => exit,
    waitFor(pattern, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m) return finish(() => resolve(m));
          if (done()) return finish(() => reject(new Error(`${file} exited (${child.signalCode ?? child.exitCode}) before ${pattern}:\n${out.slice(-4000)}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting for ${pattern} from ${file}:\n${out.slice(-4000)}`))), timeoutMs);
        const finish = (fn: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          fn();
        };
        listeners.add(check);
        check();
      });
    },
    async kill(signal = 'SIGKILL', timeoutMs = 30_000) {
      if (running()) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        await exit;
        clearTimeout(timer);
      }
      return exit;
    },
  };
}
