/**
 * npm run rules:check [FILE ...]
 *
 * Validates rules files (default: $RULES_FILE). Prints a summary per valid file, or every problem
 * with its path and line. Exit code: 0 all valid, 1 a file is invalid, 2 usage.
 */
import { formatIssue, loadRules, RulesError, rulesWarnings, summarizeRules } from '../config/rules';

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

const files = process.argv.slice(2).filter((arg) => arg !== '--');
if (files.length === 0 && process.env.RULES_FILE) files.push(process.env.RULES_FILE);
if (files.length === 0 || files.some((f) => f === '-h' || f === '--help')) {
  console.error('usage: npm run rules:check -- FILE [FILE ...]   (or set RULES_FILE)');
  process.exitCode = 2;
} else {
  process.exitCode = checkRulesFiles(files);
}
