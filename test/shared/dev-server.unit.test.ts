import assert from 'node:assert/strict';
import { devServerArgs, retryTransient } from '../../src/shared/dev-server';
import { SEARCH_ATTRIBUTES } from '../../src/shared/names';
import { SA } from '../../src/shared/search-attributes';

describe('embedded dev server (src/shared/dev-server.ts)', () => {
  it('runs start-dev on the given ports with WAL SQLite and every search attribute', () => {
    const args = devServerArgs({ dbFile: '/data/temporal.db', port: 7233, uiPort: 8233, namespace: 'default' });
    const joined = args.join(' ');
    assert.deepEqual(args.slice(0, 2), ['server', 'start-dev']);
    assert.match(joined, /--port 7233 --ui-port 8233/);
    assert.match(joined, /--db-filename \/data\/temporal\.db --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal/);
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) assert.ok(joined.includes(`--search-attribute ${name}=${type}`), name);
    assert.ok(!args.includes('--namespace'), 'default is always created');
  });

  it('headless, in memory, and an extra namespace', () => {
    const args = devServerArgs({ port: 1234, uiPort: null, namespace: 'reactivation' });
    assert.ok(args.includes('--headless'));
    assert.ok(!args.includes('--db-filename'));
    assert.ok(!args.includes('--sqlite-pragma'));
    assert.deepEqual(args.slice(args.indexOf('--namespace'), args.indexOf('--namespace') + 2), ['--namespace', 'reactivation']);
  });

  it('the search attributes fit SQL visibility (dev server SQLite, PostgreSQL in docker-compose)', () => {
    // Temporal's SQL visibility stores custom search attributes in fixed columns per type
    // (Int01-03, Keyword01-10, ...): the dev server refuses to start with more, e.g.
    // "cannot have more than 3 search attributes of type Int".
    const limits: Record<string, number> = { Int: 3, Double: 3, Bool: 3, Datetime: 3, Text: 3, Keyword: 10, KeywordList: 3 };
    const counts: Record<string, string[]> = {};
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) (counts[type] ??= []).push(name);
    for (const [type, names] of Object.entries(counts)) {
      assert.ok(names.length <= (limits[type] ?? 0), `${names.length} search attributes of type ${type} (${names.join(', ')}); SQL visibility allows ${limits[type]}`);
    }
  });

  it('names.ts and search-attributes.ts declare the same attributes with the same types', () => {
    const typeOf: Record<string, string> = { INT: 'Int', KEYWORD: 'Keyword', DATETIME: 'Datetime', KEYWORD_LIST: 'KeywordList', TEXT: 'Text', BOOL: 'Bool', FLOAT: 'Double' };
    const fromKeys = Object.fromEntries(Object.values(SA).map((k) => [k.name, typeOf[k.type]]));
    assert.deepEqual(fromKeys, { ...SEARCH_ATTRIBUTES });
  });

  it('start-up calls are tried again while the server answers UNAVAILABLE or times out, not on other errors', async () => {
    const codes = [14, 4];
    let calls = 0;
    const answer = await retryTransient(async () => {
      calls++;
      const code = codes.shift();
      if (code !== undefined) throw Object.assign(new Error(`code ${code}`), { code });
      return 'ok';
    });
    assert.equal(answer, 'ok');
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(
      retryTransient(async () => {
        calls++;
        throw Object.assign(new Error('exists'), { code: 6 });
      }),
      /exists/,
    );
    assert.equal(calls, 1, 'ALREADY_EXISTS is an answer, not a hiccup');
  });
});
