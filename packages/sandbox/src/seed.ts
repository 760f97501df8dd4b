/**
 * The demo portal: a Russian wholesale/retail company ("Упаковка-Снаб") with a sales team, the
 * default pipeline whose failure stages are the loss reasons, a "Реактивация" pipeline with a
 * "Забытый клиент" stage, clients, a catalogue (bags and packaging, shoes, software licences),
 * and deals and leads in every state. Deterministic: the same ids and the same shape on every
 * run; dates are relative to the day the portal is seeded (portal time).
 *
 * Ids: users 1–8, departments 1–4, companies 1–8, contacts 1–10, products 1–8,
 * deals from 101, leads from 501.
 */
import { addClient, addDeal, addLead, findRecord, updateDeal, updateLead, type CrmHost, type Origin } from './crm/entities';
import type { PortalState, ProductRowRec, StatusRec } from './store';
import { nextId } from './store';
import { startOfDay } from './util';

export type SeedName = 'demo' | 'empty';

const DAY = 86_400_000;

/** The reference data of the demo portal, for tests and the CLI banner. */
export const DEMO = {
  adminUserId: 1,
  headOfSalesId: 2,
  managers: [3, 4, 6, 7],
  firedManagerId: 5,
  salesDepartmentId: 2,
  mainCategoryId: 0,
  reactivationCategoryId: 1,
  /** Failure stages of pipeline 0, one per loss reason. */
  lossStages: {
    'Дорого': 'LOSE',
    'Не устроили условия оплаты': 'UC_PAYMENT',
    'Не устроили условия доставки': 'UC_DELIVERY',
    'Нет нужного товара в наличии': 'UC_NOSTOCK',
    'Нецелевое обращение': 'UC_NOTARGET',
  } as Record<string, string>,
  wonStage: 'WON',
  reactivationStages: {
    new: 'C1:NEW',
    contacted: 'C1:PREPARATION',
    needFound: 'C1:EXECUTING',
    invoice: 'C1:FINAL_INVOICE',
    won: 'C1:WON',
    lost: 'C1:LOSE',
    forgotten: 'C1:UC_FORGOTTEN',
  },
  deals: {
    inProgress: [101, 102, 103, 104],
    won: [105, 106, 107, 108, 109],
    lost: { LOSE: 110, UC_PAYMENT: 111, UC_DELIVERY: 112, UC_NOSTOCK: 113, UC_NOTARGET: 114 } as Record<string, number>,
    lostByFiredManager: 115,
    reactivationInProgress: 116,
    forgotten: 117,
  },
  leads: { new: 501, inProcess: 502, junk: 503, noAnswer: 504, converted: 505, expensive: 506 },
  bizprocTemplates: { licenceReminder: 1, repeatSaleCall: 2, leadCallback: 3 },
  userFields: { deliveryAddress: 'UF_CRM_DELIVERY_ADDRESS', licenceEnd: 'UF_CRM_LICENSE_END' },
  productProperty: { purchasePeriodDays: 101 },
  catalogId: 23,
};

export class SeedHost implements CrmHost {
  t: number;
  constructor(
    public state: PortalState,
    public tz: number,
    start: number,
  ) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  emit(): void {
    /* nobody is bound yet */
  }
}

function status(state: PortalState, entity: string, id: string, name: string, sort: number, opts: Partial<StatusRec> = {}): void {
  const category = /^DEAL_STAGE_(\d+)$/.exec(entity);
  state.statuses.push({
    ID: nextId(state, 'status'),
    ENTITY_ID: entity,
    STATUS_ID: id,
    NAME: name,
    NAME_INIT: opts.SYSTEM ? name : '',
    SORT: sort,
    SYSTEM: false,
    CATEGORY_ID: category ? Number(category[1]) : null,
    COLOR: '#39A8EF',
    SEMANTICS: null,
    ...opts,
  });
}

/** The stages a new deal pipeline gets (crm.category.add). */
export function defaultStages(state: PortalState, categoryId: number): void {
  const e = categoryId === 0 ? 'DEAL_STAGE' : `DEAL_STAGE_${categoryId}`;
  const p = categoryId === 0 ? '' : `C${categoryId}:`;
  status(state, e, `${p}NEW`, 'Новая', 10, { SYSTEM: true, COLOR: '#39A8EF', EXTRA_SEMANTICS: 'process' });
  status(state, e, `${p}PREPARATION`, 'Подготовка документов', 20, { COLOR: '#2FC6F6', EXTRA_SEMANTICS: 'process' });
  status(state, e, `${p}PREPAYMENT_INVOICE`, 'Счёт на предоплату', 30, { COLOR: '#55D0E0', EXTRA_SEMANTICS: 'process' });
  status(state, e, `${p}EXECUTING`, 'В работе', 40, { COLOR: '#47E4C2', EXTRA_SEMANTICS: 'process' });
  status(state, e, `${p}FINAL_INVOICE`, 'Финальный счёт', 50, { COLOR: '#FFA900', EXTRA_SEMANTICS: 'process' });
  status(state, e, `${p}WON`, 'Сделка успешна', 60, { SYSTEM: true, COLOR: '#7BD500', SEMANTICS: 'S', EXTRA_SEMANTICS: 'success' });
  status(state, e, `${p}LOSE`, 'Сделка провалена', 70, { SYSTEM: true, COLOR: '#FF5752', SEMANTICS: 'F', EXTRA_SEMANTICS: 'failure' });
  status(state, e, `${p}APOLOGY`, 'Анализ причины провала', 80, { COLOR: '#FF5752', SEMANTICS: 'F', EXTRA_SEMANTICS: 'apology' });
}

/** Directories every portal has (both seeds). */
function baseDirectories(state: PortalState): void {
  state.categories.push({ id: 0, name: 'Основная', sort: 100, isDefault: true, originId: '', originatorId: '' });
  state.seq.category = 1;
  const dir = (entity: string, items: Array<[string, string]>) => items.forEach(([id, name], i) => status(state, entity, id, name, (i + 1) * 10, { SYSTEM: true }));
  dir('DEAL_TYPE', [['SALE', 'Продажа'], ['COMPLEX', 'Комплексная продажа'], ['GOODS', 'Продажа товара'], ['SERVICES', 'Продажа услуги'], ['SERVICE', 'Сервисное обслуживание']]);
  dir('SOURCE', [['CALL', 'Звонок'], ['EMAIL', 'Электронная почта'], ['WEB', 'Веб-сайт'], ['ADVERTISING', 'Реклама'], ['PARTNER', 'Существующий клиент'], ['RECOMMENDATION', 'По рекомендации'], ['TRADE_SHOW', 'Выставка'], ['OTHER', 'Другое']]);
  dir('CONTACT_TYPE', [['CLIENT', 'Клиенты'], ['SUPPLIER', 'Поставщики'], ['PARTNER', 'Партнёры'], ['OTHER', 'Другое']]);
  dir('COMPANY_TYPE', [['CUSTOMER', 'Клиент'], ['SUPPLIER', 'Поставщик'], ['COMPETITOR', 'Конкурент'], ['PARTNER', 'Партнёр'], ['OTHER', 'Другое']]);
  dir('INDUSTRY', [['MANUFACTURING', 'Производство'], ['AGRICULTURE', 'Сельское хозяйство'], ['IT', 'Информационные технологии'], ['DELIVERY', 'Доставка'], ['OTHER', 'Другое']]);
  dir('EMPLOYEES', [['EMPLOYEES_1', 'менее 50'], ['EMPLOYEES_2', '50-250'], ['EMPLOYEES_3', '250-500'], ['EMPLOYEES_4', 'более 500']]);
  dir('HONORIFIC', [['HNR_RU_1', 'г-н'], ['HNR_RU_2', 'г-жа']]);
}

export function seedPortal(state: PortalState, seed: SeedName, at: { tz: number; now: number }): void {
  baseDirectories(state);
  state.users.push({
    ID: 1, ACTIVE: true, NAME: 'Андрей', LAST_NAME: 'Администраторов', SECOND_NAME: '', EMAIL: 'admin@upakovka-snab.ru',
    WORK_POSITION: 'Администратор портала', PERSONAL_GENDER: 'M', UF_DEPARTMENT: [1], DATE_REGISTER: at.now - 900 * DAY, IS_ADMIN: true,
  });
  state.departments.push({ ID: 1, NAME: 'ООО «Упаковка-Снаб»', SORT: 500, PARENT: null, UF_HEAD: 1 });
  state.seq.user = 2;
  state.seq.department = 2;
  if (seed === 'empty') {
    defaultStages(state, 0);
    leadDirectory(state);
    state.seq.deal = 1;
    state.seq.lead = 1;
    return;
  }
  seedDemo(state, at);
}

function leadDirectory(state: PortalState): void {
  status(state, 'STATUS', 'NEW', 'Не обработан', 10, { SYSTEM: true, EXTRA_SEMANTICS: 'process' });
  status(state, 'STATUS', 'IN_PROCESS', 'В работе', 20, { SYSTEM: true, COLOR: '#2FC6F6', EXTRA_SEMANTICS: 'process' });
  status(state, 'STATUS', 'PROCESSED', 'Обработан', 30, { SYSTEM: true, COLOR: '#55D0E0', EXTRA_SEMANTICS: 'process' });
  status(state, 'STATUS', 'CONVERTED', 'Качественный лид', 40, { SYSTEM: true, COLOR: '#7BD500', SEMANTICS: 'S', EXTRA_SEMANTICS: 'success' });
  status(state, 'STATUS', 'JUNK', 'Некачественный лид', 50, { SYSTEM: true, COLOR: '#FF5752', SEMANTICS: 'F', EXTRA_SEMANTICS: 'failure' });
}

/** What the demo sections share: the state, the seed day, and a host whose clock each write sets. */
export interface SeedContext {
  state: PortalState;
  at: { tz: number; now: number };
  /** Start of the seed day (portal time). */
  today: number;
  /** Portal time `n` days from the seed day, at `hour`. */
  day: (n: number, hour?: number) => number;
  /** Writes go through the CRM rules (crm/entities.ts) at the time set in `host.t`. */
  host: SeedHost;
}

export const by = (userId: number): Origin => ({ userId });

/** The seed day, its clock and a host for the writes of a seed. */
export function seedContext(state: PortalState, at: { tz: number; now: number }): SeedContext {
  const today = startOfDay(at.now, at.tz);
  const day = (n: number, hour = 11) => today + n * DAY + hour * 3_600_000;
  return { state, at, today, day, host: new SeedHost(state, at.tz, day(-720)) };
}

function seedDemo(state: PortalState, at: { tz: number; now: number }): void {
  const ctx = seedContext(state, at);
  seedPeople(ctx);
  seedPipelines(ctx);
  seedUserFields(ctx);
  seedCatalogue(ctx);
  seedClients(ctx);
  seedDeals(ctx);
  seedLeads(ctx);
  seedBizprocTemplates(ctx);
  // Ids continue after the seed.
  state.seq.company = Math.max(state.seq.company ?? 1, 9);
  state.seq.contact = Math.max(state.seq.contact ?? 1, 11);
}

/** The sales team (users 2–8) and its departments (2–4). */
function seedPeople({ state, at }: SeedContext): void {
  const user = (ID: number, NAME: string, LAST_NAME: string, SECOND_NAME: string, WORK_POSITION: string, dept: number, gender: string, ACTIVE = true) =>
    state.users.push({ ID, ACTIVE, NAME, LAST_NAME, SECOND_NAME, EMAIL: `user${ID}@upakovka-snab.ru`, WORK_POSITION, PERSONAL_GENDER: gender, UF_DEPARTMENT: [dept], DATE_REGISTER: at.now - (800 - ID * 40) * DAY, IS_ADMIN: false });
  user(2, 'Ирина', 'Соколова', 'Викторовна', 'Руководитель отдела продаж', 2, 'F');
  user(3, 'Алексей', 'Петров', 'Сергеевич', 'Старший менеджер оптового отдела', 3, 'M');
  user(4, 'Мария', 'Иванова', 'Андреевна', 'Менеджер по продажам', 3, 'F');
  user(5, 'Дмитрий', 'Смирнов', 'Олегович', 'Менеджер по продажам', 3, 'M', false);
  user(6, 'Ольга', 'Кузнецова', 'Игоревна', 'Руководитель розничного отдела', 4, 'F');
  user(7, 'Сергей', 'Волков', 'Николаевич', 'Менеджер по продажам', 4, 'M');
  user(8, 'Наталья', 'Морозова', 'Павловна', 'Бухгалтер', 1, 'F');
  state.departments.push(
    { ID: 2, NAME: 'Отдел продаж', SORT: 500, PARENT: 1, UF_HEAD: 2 },
    { ID: 3, NAME: 'Оптовый отдел', SORT: 500, PARENT: 2, UF_HEAD: 3 },
    { ID: 4, NAME: 'Розничный отдел', SORT: 500, PARENT: 2, UF_HEAD: 6 },
  );
  state.seq.user = 9;
  state.seq.department = 5;
}

/** Pipeline 0 (its failure stages are the loss reasons), the "Реактивация" pipeline 1, lead statuses. */
function seedPipelines({ state }: SeedContext): void {
  const S = (entity: string, id: string, name: string, sort: number, sm: 'S' | 'F' | null, extra: string, system = false, color = '#39A8EF') =>
    status(state, entity, id, name, sort, { SEMANTICS: sm, EXTRA_SEMANTICS: extra, SYSTEM: system, COLOR: color });
  S('DEAL_STAGE', 'NEW', 'Новая', 10, null, 'process', true);
  S('DEAL_STAGE', 'PREPARATION', 'Подготовка документов', 20, null, 'process', false, '#2FC6F6');
  S('DEAL_STAGE', 'PREPAYMENT_INVOICE', 'Счёт на предоплату', 30, null, 'process', false, '#55D0E0');
  S('DEAL_STAGE', 'EXECUTING', 'В работе', 40, null, 'process', false, '#47E4C2');
  S('DEAL_STAGE', 'FINAL_INVOICE', 'Финальный счёт', 50, null, 'process', false, '#FFA900');
  S('DEAL_STAGE', 'WON', 'Сделка успешна', 60, 'S', 'success', true, '#7BD500');
  S('DEAL_STAGE', 'LOSE', 'Дорого', 70, 'F', 'failure', true, '#FF5752');
  S('DEAL_STAGE', 'UC_PAYMENT', 'Не устроили условия оплаты', 80, 'F', 'apology', false, '#FF5752');
  S('DEAL_STAGE', 'UC_DELIVERY', 'Не устроили условия доставки', 90, 'F', 'apology', false, '#FF5752');
  S('DEAL_STAGE', 'UC_NOSTOCK', 'Нет нужного товара в наличии', 100, 'F', 'apology', false, '#FF5752');
  S('DEAL_STAGE', 'UC_NOTARGET', 'Нецелевое обращение', 110, 'F', 'apology', false, '#FF5752');

  state.categories.push({ id: 1, name: 'Реактивация', sort: 200, isDefault: false, originId: '', originatorId: '' });
  state.seq.category = 2;
  S('DEAL_STAGE_1', 'C1:NEW', 'Новая реактивация', 10, null, 'process', true);
  S('DEAL_STAGE_1', 'C1:PREPARATION', 'Связались с клиентом', 20, null, 'process', false, '#2FC6F6');
  S('DEAL_STAGE_1', 'C1:EXECUTING', 'Выявлена потребность', 30, null, 'process', false, '#47E4C2');
  S('DEAL_STAGE_1', 'C1:FINAL_INVOICE', 'Счёт выставлен', 40, null, 'process', false, '#FFA900');
  S('DEAL_STAGE_1', 'C1:WON', 'Продажа состоялась', 50, 'S', 'success', true, '#7BD500');
  S('DEAL_STAGE_1', 'C1:LOSE', 'Дорого', 60, 'F', 'failure', true, '#FF5752');
  S('DEAL_STAGE_1', 'C1:UC_PAYMENT', 'Не устроили условия оплаты', 70, 'F', 'apology', false, '#FF5752');
  S('DEAL_STAGE_1', 'C1:UC_DELIVERY', 'Не устроили условия доставки', 80, 'F', 'apology', false, '#FF5752');
  S('DEAL_STAGE_1', 'C1:UC_NOSTOCK', 'Нет нужного товара в наличии', 90, 'F', 'apology', false, '#FF5752');
  S('DEAL_STAGE_1', 'C1:UC_NOTARGET', 'Нецелевое обращение', 100, 'F', 'apology', false, '#FF5752');
  S('DEAL_STAGE_1', 'C1:UC_FORGOTTEN', 'Забытый клиент', 110, 'F', 'apology', false, '#A8ADB4');

  leadDirectory(state);
  status(state, 'STATUS', 'UC_NOANSWER', 'Не дозвонились', 60, { SEMANTICS: 'F', EXTRA_SEMANTICS: 'apology', COLOR: '#FF5752' });
  status(state, 'STATUS', 'UC_EXPENSIVE', 'Дорого', 70, { SEMANTICS: 'F', EXTRA_SEMANTICS: 'apology', COLOR: '#FF5752' });
}

function seedUserFields({ state }: SeedContext): void {
  const uf = (FIELD_NAME: string, USER_TYPE_ID: string, label: string) =>
    state.userFields.push({
      ID: nextId(state, 'userField', 5001), ENTITY_ID: 'CRM_DEAL', FIELD_NAME, USER_TYPE_ID, XML_ID: null, SORT: 100, MULTIPLE: 'N', MANDATORY: 'N',
      SHOW_FILTER: 'E', SHOW_IN_LIST: 'Y', EDIT_IN_LIST: 'Y', IS_SEARCHABLE: 'N', SETTINGS: USER_TYPE_ID === 'date' ? { DEFAULT_VALUE: { VALUE: '', TYPE: 'NONE' } } : { DEFAULT_VALUE: '', ROWS: 1 },
      EDIT_FORM_LABEL: label, LIST_COLUMN_LABEL: label, LIST_FILTER_LABEL: label, ERROR_MESSAGE: null, HELP_MESSAGE: null,
    });
  uf(DEMO.userFields.deliveryAddress, 'string', 'Адрес доставки');
  uf(DEMO.userFields.licenceEnd, 'date', 'Дата окончания лицензии');
}

/** Catalogue sections, the purchase-period property, products 1–8. */
function seedCatalogue({ state, at }: SeedContext): void {
  const section = (ID: number, NAME: string, parent: number | null) =>
    state.productSections.push({ ID, CATALOG_ID: DEMO.catalogId, SECTION_ID: parent, NAME, XML_ID: `section-${ID}`, CODE: null });
  section(1, 'Мешки и упаковка', null);
  section(2, 'Обувь', null);
  section(3, 'Лицензии ПО', null);
  section(4, 'Мешки полипропиленовые', 1);
  section(5, 'Биг-бэги', 1);
  state.seq.productSection = 6;
  state.productProperties.push({
    ID: DEMO.productProperty.purchasePeriodDays, IBLOCK_ID: DEMO.catalogId, NAME: 'Период покупки, дней', ACTIVE: 'Y', SORT: 500, CODE: 'PURCHASE_PERIOD_DAYS',
    DEFAULT_VALUE: '', PROPERTY_TYPE: 'N', ROW_COUNT: 1, COL_COUNT: 30, MULTIPLE: 'N', XML_ID: 'purchase-period', IS_REQUIRED: 'N', USER_TYPE: null,
  });
  state.seq.productProperty = 102;
  const product = (ID: number, NAME: string, SECTION_ID: number, PRICE: number, MEASURE: number, periodDays: number) =>
    state.products.push({
      ID, NAME, ACTIVE: 'Y', CATALOG_ID: DEMO.catalogId, SECTION_ID, PRICE, CURRENCY_ID: 'RUB', MEASURE, DESCRIPTION: null, DESCRIPTION_TYPE: 'text',
      SORT: 500, XML_ID: `product-${ID}`, VAT_ID: null, VAT_INCLUDED: 'Y', DATE_CREATE: at.now - 700 * DAY, TIMESTAMP_X: at.now - 30 * DAY, CREATED_BY: 1, MODIFIED_BY: 1,
      [`PROPERTY_${DEMO.productProperty.purchasePeriodDays}`]: { valueId: String(1000 + ID), value: String(periodDays) },
    });
  product(1, 'Мешок полипропиленовый 50 кг', 4, 18.5, 796, 30);
  product(2, 'Мешок бумажный для муки 50 кг', 1, 32, 796, 30);
  product(3, 'Биг-бэг 1000 кг', 5, 450, 796, 45);
  product(4, 'Стрейч-плёнка 500 мм', 1, 650, 796, 60);
  product(5, 'Ботинки рабочие утеплённые', 2, 3900, 715, 365);
  product(6, 'Сапоги резиновые', 2, 1500, 715, 365);
  product(7, 'Лицензия 1С:Бухгалтерия (1 год)', 3, 12000, 796, 365);
  product(8, 'Антивирус Kaspersky Endpoint (1 год, 10 ПК)', 3, 25000, 796, 365);
  state.seq.product = 9;
}

/** Companies 1–8 and contacts 1–10, created 720 days ago. */
function seedClients({ state, host }: SeedContext): void {
  const company = (TITLE: string, INDUSTRY: string, ASSIGNED_BY_ID: number, phone: string, city: string) =>
    addClient(host, 'company', { TITLE, INDUSTRY, ASSIGNED_BY_ID, COMPANY_TYPE: 'CUSTOMER', ADDRESS_CITY: city, PHONE: [{ VALUE: phone, VALUE_TYPE: 'WORK' }] }, by(ASSIGNED_BY_ID));
  company('ООО «Мукомольный комбинат «Заря»', 'MANUFACTURING', 3, '+7 (4852) 55-10-20', 'Ярославль'); // 1
  company('АО «Агрохолдинг «Колос»', 'AGRICULTURE', 4, '+7 (8632) 40-11-22', 'Ростов-на-Дону'); // 2
  company('ООО «ПекарняПро»', 'MANUFACTURING', 3, '+7 (495) 123-45-67', 'Москва'); // 3
  company('ИП Соколов Николай Викторович', 'OTHER', 6, '+7 (812) 300-20-10', 'Санкт-Петербург'); // 4
  company('ООО «Обувной двор»', 'OTHER', 7, '+7 (843) 250-60-70', 'Казань'); // 5
  company('ООО «ТехноСофт»', 'IT', 6, '+7 (383) 210-33-44', 'Новосибирск'); // 6
  company('ЗАО «Бухучёт-Сервис»', 'IT', 7, '+7 (343) 380-12-12', 'Екатеринбург'); // 7
  company('ООО «СтройДом»', 'OTHER', 5, '+7 (846) 270-80-90', 'Самара'); // 8
  const contact = (NAME: string, SECOND_NAME: string, LAST_NAME: string, COMPANY_ID: number | null, ASSIGNED_BY_ID: number, POST: string, phone: string) =>
    addClient(host, 'contact', { NAME, SECOND_NAME, LAST_NAME, COMPANY_ID, ASSIGNED_BY_ID, POST, TYPE_ID: 'CLIENT', PHONE: [{ VALUE: phone, VALUE_TYPE: 'WORK' }], EMAIL: [{ VALUE: `client${state.seq.contact ?? 1}@example.ru`, VALUE_TYPE: 'WORK' }] }, by(ASSIGNED_BY_ID));
  contact('Виктор', 'Павлович', 'Егоров', 1, 3, 'Начальник отдела снабжения', '+7 910 111-22-33'); // 1
  contact('Елена', 'Михайловна', 'Орлова', 1, 3, 'Главный бухгалтер', '+7 910 222-33-44'); // 2
  contact('Павел', 'Андреевич', 'Никитин', 2, 4, 'Закупщик', '+7 928 333-44-55'); // 3
  contact('Светлана', 'Юрьевна', 'Белова', 3, 3, 'Директор', '+7 916 444-55-66'); // 4
  contact('Николай', 'Викторович', 'Соколов', 4, 6, 'Индивидуальный предприниматель', '+7 921 555-66-77'); // 5
  contact('Анна', 'Сергеевна', 'Лебедева', 5, 7, 'Товаровед', '+7 917 666-77-88'); // 6
  contact('Игорь', 'Олегович', 'Фёдоров', 6, 6, 'ИТ-директор', '+7 913 777-88-99'); // 7
  contact('Татьяна', 'Ивановна', 'Козлова', 7, 7, 'Офис-менеджер', '+7 912 888-99-00'); // 8
  contact('Роман', 'Петрович', 'Зайцев', null, 7, 'Частный покупатель', '+7 999 123-00-11'); // 9
  contact('Григорий', 'Львович', 'Медведев', 8, 5, 'Прораб', '+7 927 321-00-22'); // 10
}

/** A deal of a seed: written through the CRM rules at its creation day, then moved to its stage. */
export interface DealSeed {
  title: string;
  assigned: number;
  company: number;
  /** Bound in this order; the first is the primary contact (crm.deal.contact.items.get IS_PRIMARY). */
  contacts: number[];
  /** Days from the seed day (negative: in the past). */
  created: number;
  stage: string;
  /** The day it entered `stage` (default: two days after creation). */
  closed?: number;
  /** CLOSEDATE given at creation, days from the seed day (default: the portal's, creation + 7). */
  closeDate?: number;
  items?: Array<[productId: number, qty: number]>;
  source?: string;
  comments?: string;
  category?: number;
  uf?: Record<string, unknown>;
  returning?: boolean;
}

/** Product rows of a seeded deal at catalogue prices; the amount follows them. */
function seedRows({ state }: SeedContext, dealId: number, items: Array<[productId: number, qty: number]>): void {
  for (const [i, [pid, qty]] of items.entries()) {
    const p = state.products.find((x) => x.ID === pid)!;
    const row: ProductRowRec = {
      ID: nextId(state, 'productRow'), OWNER_ID: dealId, OWNER_TYPE: 'D', PRODUCT_ID: pid, PRODUCT_NAME: String(p.NAME), PRICE: Number(p.PRICE),
      QUANTITY: qty, DISCOUNT_TYPE_ID: 2, DISCOUNT_RATE: 0, DISCOUNT_SUM: 0, TAX_RATE: null, TAX_INCLUDED: 'N', MEASURE_CODE: Number(p.MEASURE),
      MEASURE_NAME: Number(p.MEASURE) === 715 ? 'пар' : 'шт', SORT: (i + 1) * 10,
    };
    state.productRows.push(row);
  }
  const deal = findRecord(state, 'deal', dealId)!;
  deal.OPPORTUNITY = state.productRows.filter((r) => r.OWNER_ID === dealId && r.OWNER_TYPE === 'D').reduce((s, r) => s + r.PRICE * r.QUANTITY, 0);
}

export function seedDeal(ctx: SeedContext, d: DealSeed): number {
  const { state, host, day, today } = ctx;
  host.t = day(d.created, 10);
  const category = d.category ?? 0;
  const first = category === 0 ? 'NEW' : `C${category}:NEW`;
  const id = addDeal(host, {
    TITLE: d.title, CATEGORY_ID: category, STAGE_ID: first, ASSIGNED_BY_ID: d.assigned, COMPANY_ID: d.company, CONTACT_IDS: d.contacts,
    SOURCE_ID: d.source ?? 'CALL', COMMENTS: d.comments ?? null, TYPE_ID: 'GOODS', IS_RETURN_CUSTOMER: d.returning ? 'Y' : 'N',
    ...(d.closeDate !== undefined ? { CLOSEDATE: isoDay(today + d.closeDate * DAY) } : {}), ...(d.uf ?? {}),
  }, by(d.assigned));
  if (d.items) seedRows(ctx, id, d.items);
  if (d.stage !== first) {
    host.t = day(d.closed ?? d.created + 2, 15);
    updateDeal(host, findRecord(state, 'deal', id)!, { STAGE_ID: d.stage }, by(d.assigned));
  }
  return id;
}

/** Deals 101–117: in progress, won, lost (one per reason), reactivation. */
function seedDeals(ctx: SeedContext): void {
  const { state, today } = ctx;
  state.seq.deal = 101;
  const deal = (d: DealSeed): number => seedDeal(ctx, d);
  // In progress (101–104).
  deal({ title: 'Мешки п/п 50 кг — Заря, ноябрьская партия', assigned: 3, company: 1, contacts: [1], created: -3, stage: 'NEW', items: [[1, 3000]] });
  deal({ title: 'Биг-бэги для Колоса', assigned: 4, company: 2, contacts: [3], created: -6, stage: 'PREPARATION', items: [[3, 200]] });
  deal({ title: 'Стрейч-плёнка для ПекарняПро', assigned: 3, company: 3, contacts: [4], created: -9, stage: 'EXECUTING', items: [[4, 40]], closed: -1 });
  deal({ title: 'Рабочая обувь — Обувной двор', assigned: 7, company: 5, contacts: [6], created: -12, stage: 'FINAL_INVOICE', items: [[5, 60], [6, 40]], closed: -2 });
  // Won (105–109): past purchases with product rows and CLOSEDATE in the past.
  deal({ title: 'Мешки для муки — Заря, сентябрь', assigned: 3, company: 1, contacts: [1, 2], created: -48, stage: 'WON', closed: -40, items: [[2, 2000], [1, 1000]], returning: true, uf: { [DEMO.userFields.deliveryAddress]: 'г. Ярославль, ул. Промышленная, 12' } });
  deal({ title: 'Мешки для муки — Заря, август', assigned: 3, company: 1, contacts: [1], created: -82, stage: 'WON', closed: -75, items: [[2, 1800]] });
  deal({ title: 'Зимняя обувь для ИП Соколов', assigned: 6, company: 4, contacts: [5], created: -410, stage: 'WON', closed: -400, items: [[5, 25]] });
  deal({ title: 'Лицензии 1С для ТехноСофт', assigned: 6, company: 6, contacts: [7], created: -340, stage: 'WON', closed: -330, items: [[7, 5]], uf: { [DEMO.userFields.licenceEnd]: isoDay(today + 35 * DAY) } });
  deal({ title: 'Сапоги — частный заказ', assigned: 7, company: 0, contacts: [9], created: -205, stage: 'WON', closed: -200, items: [[6, 2]], source: 'WEB' });
  // Lost, one per reason (110–114), and one whose manager was fired (115).
  deal({ title: 'Антивирус для Бухучёт-Сервис', assigned: 7, company: 7, contacts: [8], created: -30, stage: 'LOSE', closed: -20, items: [[8, 3]], comments: 'Нашли дешевле у конкурента' });
  deal({ title: 'Мешки п/п для Колоса', assigned: 4, company: 2, contacts: [3], created: -25, stage: 'UC_PAYMENT', closed: -10, items: [[1, 5000]], comments: 'Хотят отсрочку 90 дней' });
  deal({ title: 'Биг-бэги для СтройДом', assigned: 3, company: 8, contacts: [10], created: -45, stage: 'UC_DELIVERY', closed: -35, items: [[3, 120]] });
  deal({ title: 'Плёнка — ПекарняПро, срочный заказ', assigned: 3, company: 3, contacts: [4], created: -8, stage: 'UC_NOSTOCK', closed: -5, items: [[4, 100]] });
  deal({ title: 'Запрос с сайта: вакансия', assigned: 7, company: 0, contacts: [], created: -4, stage: 'UC_NOTARGET', closed: -3, source: 'WEB' });
  deal({ title: 'Обувь для бригады СтройДом', assigned: 5, company: 8, contacts: [10], created: -28, stage: 'LOSE', closed: -15, items: [[5, 30]] });
  // Reactivation pipeline (116 in progress, 117 parked as a forgotten client).
  deal({ title: 'Реактивация: Заря, повторная закупка мешков', assigned: 3, company: 1, contacts: [1], created: -2, stage: 'C1:NEW', category: 1, items: [[2, 1500]], source: 'PARTNER' });
  deal({ title: 'Реактивация: СтройДом', assigned: 6, company: 8, contacts: [10], created: -150, stage: 'C1:UC_FORGOTTEN', closed: -60, category: 1, source: 'PARTNER' });
}

/** Leads 501–506, one per status. */
function seedLeads({ state, day, host }: SeedContext): void {
  state.seq.lead = 501;
  const lead = (TITLE: string, NAME: string, LAST_NAME: string, assigned: number, created: number, statusId: string, closed?: number, extra: Record<string, unknown> = {}) => {
    host.t = day(created, 9);
    const id = addLead(host, { TITLE, NAME, LAST_NAME, ASSIGNED_BY_ID: assigned, SOURCE_ID: 'WEB', STATUS_ID: 'NEW', PHONE: [{ VALUE: `+7 900 000-0${created < 0 ? -created : created}-00`, VALUE_TYPE: 'WORK' }], ...extra }, by(assigned));
    if (statusId !== 'NEW') {
      host.t = day(closed ?? created + 1, 16);
      updateLead(host, findRecord(state, 'lead', id)!, { STATUS_ID: statusId }, by(assigned));
    }
    return id;
  };
  lead('Заявка с сайта: мешки для сахара', 'Олег', 'Кравцов', 4, -1, 'NEW', undefined, { COMPANY_TITLE: 'ООО «Сахарный завод»', OPPORTUNITY: 90000 });
  lead('Звонок: обувь для склада', 'Марина', 'Гусева', 7, -4, 'IN_PROCESS', -3);
  lead('Спам с формы обратной связи', 'Тест', 'Тестов', 4, -12, 'JUNK', -12);
  lead('Лицензии для бухгалтерии', 'Артём', 'Симонов', 6, -9, 'UC_NOANSWER', -7, { COMPANY_TITLE: 'ООО «Учёт Плюс»' });
  lead('Биг-бэги для зерна', 'Степан', 'Фомин', 3, -60, 'CONVERTED', -55, { COMPANY_TITLE: 'КФХ «Фомин»' });
  lead('Плёнка, разовая закупка', 'Юлия', 'Абрамова', 3, -35, 'UC_EXPENSIVE', -30, { OPPORTUNITY: 26000 });
}

function seedBizprocTemplates({ state, at }: SeedContext): void {
  const tpl = (ID: number, NAME: string, entity: 'CCrmDocumentDeal' | 'CCrmDocumentLead') =>
    state.bizprocTemplates.push({ ID, MODULE_ID: 'crm', ENTITY: entity, DOCUMENT_TYPE: ['crm', entity, entity === 'CCrmDocumentDeal' ? 'DEAL' : 'LEAD'], AUTO_EXECUTE: 0, NAME, MODIFIED: at.now - 100 * DAY, USER_ID: 1 });
  tpl(1, 'Напоминание о продлении лицензии', 'CCrmDocumentDeal');
  tpl(2, 'Повторная продажа: звонок клиенту', 'CCrmDocumentDeal');
  tpl(3, 'Перезвонить по лиду', 'CCrmDocumentLead');
  state.seq.bizprocTemplate = 4;
}

export function isoDay(ms: number): string {
  return new Date(ms + 12 * 3_600_000).toISOString().slice(0, 10);
}
