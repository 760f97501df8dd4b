/**
 * The one way every command reads its command line (start, sandbox, demo, bench, backfill, setup,
 * rules:check, rules:schema): node:util parseArgs splits the words, a zod schema per command
 * checks and converts them, and every problem names its flag. The same for all commands:
 * `--help` (or `-h`) prints the usage to stdout and exits 0; bad arguments print the problem
 * and the usage to stderr and exit 2 (EXIT_USAGE). runMain runs a command file's main().
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { redactText } from '../shared/log';

/** The exit code of every command for bad arguments. */
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `--help` was given: the caller prints the usage and exits 0. */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
}

export type FlagKind = 'boolean' | 'string';
export type FlagSpec = Readonly<Record<string, FlagKind>>;

export interface Words {
  flags: Record<string, string | boolean>;
  positionals: string[];
}

/**
 * `--name value`, `--name=value` and boolean `--name` (or `--name=true|false`); every `--` is
 * skipped (npm passes it through). Unknown flags, a flag given twice, a missing value and, unless
 * `positionals`, words that are not flags are usage errors naming them. `-h` is `--help`.
 */
export function readWords(argv: readonly string[], spec: FlagSpec, opts: { positionals?: boolean } = {}): Words {
  const known = Object.keys(spec).map((k) => `--${k}`).join(', ');
  const options = Object.fromEntries(Object.entries(spec).map(([name, type]) => [name, name === 'help' ? { type, short: 'h' } : { type }]));
  const { tokens } = parseArgs({ args: argv.filter((a) => a !== '--'), options, strict: false, allowPositionals: true, tokens: true });
  const words: Words = { flags: {}, positionals: [] };
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      if (!opts.positionals) throw new UsageError(`unexpected argument "${token.value}" (options: ${known})`);
      words.positionals.push(token.value);
      continue;
    }
    const { name, value } = token;
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!kind) throw new UsageError(`unknown option ${token.rawName} (options: ${known})`);
    if (Object.hasOwn(words.flags, name)) throw new UsageError(`--${name} is given twice`);
    words.flags[name] = kind === 'boolean' ? booleanValue(name, value) : stringValue(name, value, token.inlineValue);
  }
  return words;
}

function booleanValue(name: string, value: string | undefined): boolean {
  if (value === undefined) return true;
  if (value !== 'true' && value !== 'false') throw new UsageError(`--${name}: expected no value (or =true/=false), got "${value}"`);
  return value === 'true';
}

function stringValue(name: string, value: string | undefined, inline: boolean | undefined): string {
  // parseArgs takes the next word as the value even when it is the next flag.
  if (value === undefined || (!inline && value.startsWith('--'))) throw new UsageError(`--${name}: expected a value`);
  return value;
}

/** readWords without positionals: the flags only. */
export function readFlags(argv: readonly string[], spec: FlagSpec): Record<string, string | boolean> {
  return readWords(argv, spec).flags;
}

/**
 * Validates flags with a zod object whose keys are the flag names. Each problem is
 * `--flag: message`, or the message alone when it begins with the flag's name already.
 */
export function parseFlags<S extends z.ZodType>(schema: S, flags: Record<string, string | boolean>): z.output<S> {
  const parsed = schema.safeParse(flags);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const flag = issue.path.length > 0 ? `--${String(issue.path[0])}` : 'options';
    return issue.message.startsWith(`${flag} `) ? issue.message : `${flag}: ${issue.message}`;
  });
  throw new UsageError(problems.join('\n'));
}

/** Zod pieces for flag values, which are strings on the command line. */
export const flagValue = {
  text: () => z.string().min(1, 'expected a value'),
  /** A number for which `ok` holds, else `message`. */
  number: (message: string, ok: (n: number) => boolean) =>
    z.string().transform((text, ctx) => {
      const n = Number(text);
      if (text.trim() !== '' && ok(n)) return n;
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }),
};

/** A command's command line: its usage text, its flags (every command has --help too) and their schema. */
export interface CommandLine<S extends z.ZodType> {
  usage: string;
  flags: FlagSpec;
  schema: S;
  /** Whether the command takes words that are not flags (handed back as they are). */
  positionals?: boolean;
}

/** Reads `argv` for `command`; throws HelpRequested for --help, UsageError for bad arguments. */
export function parseCommandLine<S extends z.ZodType>(command: CommandLine<S>, argv: readonly string[]): { flags: z.output<S>; positionals: string[] } {
  const words = readWords(argv, { ...command.flags, help: 'boolean' }, { positionals: command.positionals });
  if (words.flags.help === true) throw new HelpRequested();
  const { help: _help, ...flags } = words.flags;
  return { flags: parseFlags(command.schema, flags), positionals: words.positionals };
}

export type Read<T> = { ok: true; value: T } | { ok: false; exitCode: number };

/**
 * Runs `parse` (which throws HelpRequested or UsageError): its value, or the exit code after
 * printing the usage to stdout (--help: 0) or the problem and the usage to stderr (2).
 */
export function withUsage<T>(usage: string, parse: () => T): Read<T> {
  try {
    return { ok: true, value: parse() };
  } catch (error) {
    if (error instanceof HelpRequested) {
      process.stdout.write(`${usage}\n`);
      return { ok: false, exitCode: 0 };
    }
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${usage}\n`);
      return { ok: false, exitCode: EXIT_USAGE };
    }
    throw error;
  }
}

/** parseCommandLine inside withUsage: what a command's main() starts with. */
export function readCommandLine<S extends z.ZodType>(command: CommandLine<S>, argv: readonly string[]): Read<{ flags: z.output<S>; positionals: string[] }> {
  return withUsage(command.usage, () => parseCommandLine(command, argv));
}

/**
 * Runs a command file's main() when it is the entry point: exits with its code; a failure it did
 * not handle prints `<name> failed: <stack>` (secrets redacted) and exits 1.
 */
export function runMain(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${name} failed: ${redactText(String((error as Error)?.stack ?? error))}\n`);
      process.exit(1);
    },
  );
}
