/**
 * `npm run faults:long`: the fault suite's long form — more elements, longer outages, more kills
 * and server restarts (profile LONG in test/faults/scenarios.ts); 10–15 minutes on 2 cores.
 * Prints one line of figures to compare run to run, one line of timings (not judged), then every
 * broken promise. Exit code 0 when every promise held, 1 otherwise.
 *
 *   npm run faults:long            # the LONG profile
 *   npm run faults:long -- --short # the same as the mocha short form, without mocha
 */
import { faultSuite } from './run';
import { formatLine, formatNotes, LONG, SHORT, type ScenarioResult } from './scenarios';

async function main(): Promise<number> {
  const profile = process.argv.includes('--short') ? SHORT : LONG;
  const suite = faultSuite(profile);
  const failures: string[] = [];
  const started = Date.now();
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const step = async (name: string, run: () => Promise<ScenarioResult>) => {
    const t = Date.now();
    try {
      const r = await run();
      for (const p of r.problems) failures.push(`${name}: ${p}`);
      say(`[${Math.round((Date.now() - started) / 1000)} s] ${name}: ${r.problems.length ? 'BROKEN' : 'ok'} in ${Math.round((Date.now() - t) / 1000)} s — ${r.figures.map(([k, v]) => `${k}=${v}`).join(' ')}`);
    } catch (error) {
      failures.push(`${name}: ${(error as Error).stack ?? error}`);
      say(`[${Math.round((Date.now() - started) / 1000)} s] ${name}: ERROR ${(error as Error).message}`);
    }
  };
  say(`fault suite, ${profile.name} form: ${JSON.stringify(profile)}`);
  try {
    await suite.start();
    say(`[${Math.round((Date.now() - started) / 1000)} s] stacks up; the kill storm runs in parallel`);
    for (const s of suite.steps) await step(s.name, s.run);
    await step('kills', suite.storm);
    await step('forged', suite.final);
  } catch (error) {
    failures.push(`start: ${(error as Error).stack ?? error}`);
  } finally {
    await suite.stop().catch((error) => failures.push(`stop: ${(error as Error).message}`));
  }
  say('');
  say(formatLine(suite.results));
  const notes = formatNotes(suite.results);
  if (notes) say(notes);
  say(`total ${Math.round((Date.now() - started) / 1000)} s`);
  if (failures.length) {
    say(`\n${failures.length} broken promise(s):`);
    for (const f of failures) say(`  - ${f}`);
  }
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${(error as Error)?.stack ?? error}\n`);
    process.exit(1);
  },
);
