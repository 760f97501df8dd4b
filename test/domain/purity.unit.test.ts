/**
 * src/domain is imported by workflow code: it must stay pure and deterministic. This guards it
 * by reading the sources (the Temporal bundler would only catch some of it, at worker start).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DOMAIN = join(__dirname, '../../src/domain');
const files = readdirSync(DOMAIN).filter((f) => f.endsWith('.ts'));

/** Source without comments, so the rules can mention what they forbid. */
function code(file: string): string {
  return readFileSync(join(DOMAIN, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1');
}

describe('src/domain purity', () => {
  it('has the modules the product needs', () => {
    for (const name of ['durations', 'calendar', 'return-period', 'lost-rules', 'assignment', 'templates', 'reactivation', 'purchases', 'chains', 'expiry']) {
      assert.ok(files.includes(`${name}.ts`), `${name}.ts is missing`);
    }
  });

  for (const file of files) {
    it(`${file}: imports only luxon, domain modules and the pure names module (not src/config, not even types)`, () => {
      const source = code(file);
      const imports = [...source.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'/gm)];
      for (const [, , typeOnly, from] of imports) {
        const allowed = from === 'luxon' || from!.startsWith('./') || from === '../shared/names';
        assert.ok(allowed, `${file} imports '${from}'${typeOnly ? ' (type)' : ''}`);
      }
      assert.doesNotMatch(source, /\brequire\(/, `${file} uses require`);
      assert.doesNotMatch(source, /\bimport\(/, `${file} uses a dynamic import`);
    });

    it(`${file}: no clock, no randomness, no I/O`, () => {
      const source = code(file);
      assert.doesNotMatch(source, /Date\.now\s*\(/, `${file} reads the clock`);
      assert.doesNotMatch(source, /new Date\(\s*\)/, `${file} reads the clock`);
      assert.doesNotMatch(source, /DateTime\.(now|local)\s*\(/, `${file} reads the clock`);
      assert.doesNotMatch(source, /Math\.random/, `${file} is random`);
      assert.doesNotMatch(source, /\b(process|console|setTimeout|setInterval|fetch)\b/, `${file} touches the runtime`);
    });
  }
});
