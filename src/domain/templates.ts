/**
 * Message templates: deal titles, to-dos and notifications, with `{placeholders}`.
 *
 * The Russian defaults below are what a portal gets when the rules file says nothing; the
 * variables each scenario offers are listed here too, so the rules loader can reject a template
 * that names a variable nobody fills (`{titel}`).
 */

export type TemplateValue = string | number | null | undefined;
export type TemplateVars = Readonly<Record<string, TemplateValue>>;

/** What to put where a variable has no value: keep `{name}`, nothing, or a dash. */
export type MissingPolicy = 'keep' | 'empty' | 'dash';

export interface Rendered {
  text: string;
  /** Variables the template names that had no value (null, undefined or ""). */
  missing: string[];
}

const PLACEHOLDER = /\{\{|\}\}|\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/**
 * Fills `{name}` placeholders. `{{` and `}}` stand for literal braces. Text in braces that is not
 * a variable name (`{ x }`) is left as it is.
 */
export function render(template: string, vars: TemplateVars, onMissing: MissingPolicy = 'dash'): Rendered {
  const missing: string[] = [];
  const text = template.replace(PLACEHOLDER, (whole: string, name: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    const value = vars[name!];
    if (value === undefined || value === null || value === '') {
      if (!missing.includes(name!)) missing.push(name!);
      if (onMissing === 'keep') return whole;
      return onMissing === 'dash' ? '—' : '';
    }
    return String(value);
  });
  return { text: onMissing === 'empty' ? text.replace(/ {2,}/g, ' ').trim() : text, missing };
}

/** The variable names a template uses, in order of first use. */
export function placeholdersOf(template: string): string[] {
  const names: string[] = [];
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1];
    if (name !== undefined && !names.includes(name)) names.push(name);
  }
  return names;
}

/** Variables a lost-deal (or lead) template may use. */
export const LOST_TEMPLATE_VARIABLES = [
  'title', // the lost deal's title
  'client', // company or contact name
  'reason', // loss reason name ("Дорого")
  'lostDate', // when it was lost
  'returnDate', // when it comes back
  'period', // the return period in words ("1 месяц")
  'attempt', // reactivation attempt, 1-based
  'maxAttempts', // limit, or "∞"
  'manager', // the responsible manager's name
  'link', // link to the lost deal
  'originalLink', // link to the first lost deal of the chain of attempts
  'reactivationTitle', // the new deal's title
  'reactivationLink', // link to the new deal
  'clientDealTitle', // the client's deal made or won after the loss
  'clientDealLink', // link to it
  'clientDealEvent', // what happened to it: «выиграна сделка», «открыта сделка», «создана сделка»
] as const;

/** Variables a client-reactivation (repeat purchase, sales chain) template may use. */
export const CLIENT_TEMPLATE_VARIABLES = [
  'client',
  'products', // what was bought last time
  'purchaseDate',
  'dueDate',
  'period', // the expected purchase period in words
  'cycle',
  'maxCycles',
  'chain', // sales chain name
  'step', // next chain step name
  'title', // an open deal's title
  'link', // link to the purchase deal
  'manager',
] as const;

/** Variables an expiry-reminder template may use. */
export const EXPIRY_TEMPLATE_VARIABLES = [
  'client',
  'title', // the sold deal's title
  'products',
  'expiresAt',
  'offset', // "за 1 неделю" / "через 3 дня"
  'link',
  'manager',
] as const;

/** The manager's regulation for a returned client (seed 001: минимальный регламент). */
export const REGULATION_RU = [
  '1. Позвоните клиенту.',
  '2. Выясните, осталась ли потребность.',
  '3. Есть потребность — ведите сделку по воронке, ставьте актуальные стадии.',
  '4. Нет потребности — предложите альтернативные товары или услуги.',
  '5. Снова отказ — укажите новую причину отказа.',
].join('\n');

export const LOST_TEMPLATES_RU = {
  dealTitle: 'Реактивация: {title} (попытка {attempt})',
  todoTitle: 'Реактивация: связаться с клиентом {client}',
  todoDescription: `Отказ {lostDate}, причина: «{reason}». Прошлая сделка: {link}\n${REGULATION_RU}`,
  dealComments: 'Реактивация сделки {originalLink} (причина отказа: {reason}, попытка {attempt}). Последний отказ: {link}',
  atLoss: 'Отказ по «{title}» ({client}), причина «{reason}». Вернём в работу {returnDate}. {link}',
  beforeReturn: '{returnDate} вернётся в работу «{title}» ({client}), причина отказа «{reason}». {link}',
  atReturn: 'Реактивация, попытка {attempt} из {maxAttempts}: «{reactivationTitle}» ({client}), прошлый отказ — «{reason}». {reactivationLink}',
  onForgotten: 'Клиент {client} переведён в «Забытый клиент»: попыток реактивации — {attempt}, результата нет. {link}',
  clientBackComment: 'Реактивация не создана: клиент {client} вернулся после отказа {lostDate} («{reason}») — {clientDealEvent} «{clientDealTitle}». {clientDealLink}',
  openDealComment: 'Реактивация не создана: у клиента {client} после отказа {lostDate} («{reason}») открыта сделка «{clientDealTitle}». {clientDealLink}',
  openDealTodoTitle: 'Клиент {client} вернулся после отказа: учтите прошлый отказ',
  openDealTodoDescription: 'У клиента {client} был отказ {lostDate}, причина: «{reason}». Прошлая сделка: {link}\nПо клиенту открыта эта сделка — реактивация не создаётся, учтите причину отказа в работе.',
  onClientBack: 'Клиент {client} вернулся после отказа «{reason}»: {clientDealEvent} «{clientDealTitle}». Реактивация не создана. {clientDealLink}',
} as const;

export const CLIENT_TEMPLATES_RU = {
  dealTitle: 'Повторная продажа: {client} ({products})',
  chainDealTitle: '{step}: {client} (цепочка «{chain}»)',
  todoTitle: 'Пора повторной покупки: {client}',
  todoDescription:
    'Клиент {client} покупал {products} {purchaseDate}; обычно следующая покупка через {period}.\n' +
    '1. Позвоните клиенту и спросите, как прошла прошлая покупка.\n' +
    '2. Выясните, почему не было заказа: не нужно, ушёл к конкуренту, недоволен?\n' +
    '3. Предложите заказ; скидку или доставку — только с ограничением по сроку.\n' +
    '4. Нет потребности — поставьте новую дату или закройте сделку с причиной.',
  chainTodoDescription:
    'Клиент {client} купил {products} {purchaseDate}. Следующий шаг цепочки «{chain}»: {step}.\n' +
    '1. Позвоните клиенту и спросите, как идёт работа с прошлой покупкой.\n' +
    '2. Предложите «{step}» и подберите товары под задачу.\n' +
    '3. Нет потребности — поставьте новую дату или закройте сделку с причиной.',
  dealComments: 'Последняя покупка {purchaseDate}: {products}. Сделка: {link}',
  openDealNotice: 'У клиента {client} наступил срок повторной покупки ({products}), по нему открыта сделка «{title}». {link}',
  onForgotten: 'Клиент {client} не покупал {cycle} цикл(а) подряд и переведён в «Забытый клиент». {link}',
} as const;

export const EXPIRY_TEMPLATES_RU = {
  notify: 'Срок по «{title}» ({client}) истекает {expiresAt}: {products}. {link}',
  todoTitle: 'Продление: {client}, срок {expiresAt}',
  todoDescription:
    'У клиента {client} {expiresAt} заканчивается: {products}.\n' +
    '1. Позвоните клиенту заранее, пока срок не истёк.\n' +
    '2. Предложите продление или новую поставку.\n' +
    '3. Выставьте счёт и поставьте дату следующего контакта.',
  dealTitle: 'Продление: {products} — {client}',
  dealComments: 'Продление по сделке {link}, срок {expiresAt}',
} as const;
