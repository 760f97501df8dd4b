import assert from 'node:assert/strict';
import {
  CLIENT_TEMPLATES_RU,
  CLIENT_TEMPLATE_VARIABLES,
  EXPIRY_TEMPLATES_RU,
  EXPIRY_TEMPLATE_VARIABLES,
  LOST_TEMPLATES_RU,
  LOST_TEMPLATE_VARIABLES,
  placeholdersOf,
  render,
} from '../../src/domain/templates';

describe('templates', () => {
  it('fills placeholders, numbers included', () => {
    const out = render('Реактивация: {title} (попытка {attempt})', { title: 'Поставка мешков', attempt: 2 });
    assert.deepEqual(out, { text: 'Реактивация: Поставка мешков (попытка 2)', missing: [] });
  });

  it('marks a missing variable with a dash by default and reports it once', () => {
    const out = render('{client}: {reason}, {client}', { reason: 'Дорого' });
    assert.equal(out.text, '—: Дорого, —');
    assert.deepEqual(out.missing, ['client']);
  });

  it('can keep the placeholder or drop it (collapsing the gap)', () => {
    assert.equal(render('Клиент {client} ждёт', {}, 'keep').text, 'Клиент {client} ждёт');
    assert.equal(render('Клиент {client} ждёт', { client: '' }, 'empty').text, 'Клиент ждёт');
    assert.equal(render('Клиент {client} ждёт', { client: null }, 'empty').missing[0], 'client');
  });

  it('treats {{ and }} as literal braces and leaves non-variable braces alone', () => {
    assert.equal(render('{{title}} = {title}; { x }', { title: 'A' }).text, '{title} = A; { x }');
  });

  it('lists the placeholders of a template in order of first use', () => {
    assert.deepEqual(placeholdersOf('{a} {b} {a} {{c}} { d }'), ['a', 'b']);
  });

  it('the Russian defaults only use the variables their scenario fills', () => {
    const blocks: [Record<string, string>, readonly string[]][] = [
      [LOST_TEMPLATES_RU, LOST_TEMPLATE_VARIABLES],
      [CLIENT_TEMPLATES_RU, CLIENT_TEMPLATE_VARIABLES],
      [EXPIRY_TEMPLATES_RU, EXPIRY_TEMPLATE_VARIABLES],
    ];
    for (const [templates, variables] of blocks) {
      for (const [key, text] of Object.entries(templates)) {
        const unknown = placeholdersOf(text).filter((name) => !variables.includes(name));
        assert.deepEqual(unknown, [], `${key} uses unknown placeholders`);
      }
    }
  });

  it('the default deal title and regulation say what the product promises', () => {
    assert.equal(LOST_TEMPLATES_RU.dealTitle, 'Реактивация: {title} (попытка {attempt})');
    assert.match(LOST_TEMPLATES_RU.todoDescription, /Позвоните клиенту/);
    assert.match(LOST_TEMPLATES_RU.todoDescription, /предложите альтернативные/);
    assert.match(LOST_TEMPLATES_RU.todoDescription, /новую причину отказа/);
  });
});
