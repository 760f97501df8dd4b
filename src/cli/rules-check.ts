/**
 * npm run rules:check [FILE ...]
 *
 * Validates rules files (default: $RULES_FILE). Prints a summary per valid file, or every problem
 * with its path and line. Exit code: 0 all valid, 1 a file is invalid, 2 usage.
 */
import { z } from 'zod';
import { formatIssue, loadRules, RulesError, rulesWarnings, summarizeRules } from '../config/rules';
import { parseCommandLine, runMain, UsageError, withUsage } from './args';

const USAGE = 'usage: npm run rules:check -- FILE [FILE ...]   (or set RULES_FILE)';

const rulesCheckCommand = { usage: USAGE, flags: {}, schema: z.strictObject({}), positionals: true } as const;

/** The files named, else $RULES_FILE. */
function rulesFiles(argv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const files = parseCommandLine(rulesCheckCommand, argv).positionals;
  if (files.length === 0 && env.RULES_FILE) files.push(env.RULES_FILE);
  if (files.length === 0) throw new UsageError('no rules file given');
  return files;
}

function checkRulesFiles(files: readonly string[]): number {
  let failed = false;
  for (const file of files) {
    try {
      const rules = loadRules(file);
      console.log(`OK: ${summarizeRules(rules)} (${file})`);
      for (const warning of rulesWarnings(rules)) console.log(`  warning: ${formatIssue(warning)}`);
    } catch (error) {
      if (!(error instanceof RulesError)) throw error;
      failed = true;
      console.error(`INVALID: ${file}: ${error.issues.length} problem${error.issues.length === 1 ? '' : 's'}`);
      for (const issue of error.issues) console.error(`  ${formatIssue(issue)}`);
    }
  }
  return failed ? 1 : 0;
}

export async function main(argv = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const read = withUsage(USAGE, () => rulesFiles(argv, env));
  return read.ok ? checkRulesFiles(read.value) : read.exitCode;
}

if (require.main === module) runMain('rules:check', () => main());
