/**
 * The data the "real-world" profile adds to the demo portal: the shapes ordinary portals have
 * and the demo data lacks (profiles.ts). Everything of the demo stays as it is (same ids), so a
 * scenario written for the demo also runs here; on top of it:
 *
 *  - a B2B company with several parallel open deals, one of them open since BEFORE a later loss;
 *  - deals with several contacts where the client's contact is a secondary (not the primary) one;
 *  - a private buyer (a contact without a company) who comes back on a deal where he is secondary;
 *  - a won deal whose CLOSEDATE is the planned date days in the future (close-date sync off);
 *  - multiple-value custom fields on deals (a multiple date and a multiple list field);
 *  - a lead created in the small hours of portal time (another calendar day in UTC and Moscow).
 *
 * Ids: companies 9–10, contacts 11–15, deals 201–207, lead 507, user fields 5003–5004.
 */
import { addClient, addLead } from './crm/entities';
import { by, isoDay, seedContext, seedDeal, type SeedContext } from './seed';
import type { PortalState, UserFieldRec } from './store';
import { nextId } from './store';

const DAY = 86_400_000;

/** The reference data of the real-world profile's additions, for tests (like DEMO). */
export const REAL_WORLD = {
  timeZone: 'Asia/Yekaterinburg',
  utcOffset: '+05:00',
  companies: { promTara: 9, breadFactory: 10 },
  contacts: {
    /** ПромТара's buyer: primary on 201, secondary on 202 and 203. */
    promTaraBuyer: 11,
    promTaraAccountant: 12,
    /** A private buyer (no company): primary on 204, secondary on 205 and 206. */
    privateBuyer: 13,
    privateBuyerSpouse: 14,
    breadFactoryBuyer: 15,
  },
  deals: {
    /** ПромТара, open since 60 days ago — long before the loss of 203. */
    openBeforeLoss: 201,
    /** ПромТара, open since 40 days ago, contacts [12, 11]. */
    openParallel: 202,
    /** ПромТара, created 30 days ago, lost 5 days ago (UC_PAYMENT), contacts [12, 11]; multiple UF values. */
    lostWithOlderOpenDeals: 203,
    /** The private buyer 13, lost 12 days ago ("Дорого"), contacts [13]. */
    contactLost: 204,
    /** Created 4 days ago (after 204's loss), open, contacts [14, 13]: the buyer is secondary. */
    contactCameBackAsSecondary: 205,
    /** Won 90 days ago, contacts [14, 13]: the buyer's purchase where he is secondary. */
    contactWonAsSecondary: 206,
    /** Хлебозавод, won 3 days ago; CLOSEDATE is the planned date 21 days ahead (sync off keeps it). */
    wonWithFutureCloseDate: 207,
  },
  /** Days from the seed day (portal time). */
  days: { lostWithOlderOpenDeals: -5, contactLost: -12, wonWithFutureCloseDate: -3, futureCloseDate: 21 },
  leads: { createdAtNight: 507 },
  userFields: { deliveryDates: 'UF_CRM_DELIVERY_DATES', segments: 'UF_CRM_SEGMENTS' },
  /** Items of the multiple list field UF_CRM_SEGMENTS. */
  segments: { wholesale: 1001, retail: 1002, horeca: 1003 },
};

function multipleField(state: PortalState, FIELD_NAME: string, USER_TYPE_ID: 'date' | 'enumeration', label: string, list?: UserFieldRec['LIST']): void {
  state.userFields.push({
    ID: nextId(state, 'userField', 5001), ENTITY_ID: 'CRM_DEAL', FIELD_NAME, USER_TYPE_ID, XML_ID: null, SORT: 200, MULTIPLE: 'Y', MANDATORY: 'N',
    SHOW_FILTER: 'E', SHOW_IN_LIST: 'Y', EDIT_IN_LIST: 'Y', IS_SEARCHABLE: 'N',
    SETTINGS: USER_TYPE_ID === 'date' ? { DEFAULT_VALUE: { VALUE: '', TYPE: 'NONE' } } : { DISPLAY: 'LIST', LIST_HEIGHT: 3 },
    EDIT_FORM_LABEL: label, LIST_COLUMN_LABEL: label, LIST_FILTER_LABEL: label, ERROR_MESSAGE: null, HELP_MESSAGE: null,
    ...(list ? { LIST: list } : {}),
  });
}

function seedFields({ state }: SeedContext): void {
  const R = REAL_WORLD;
  multipleField(state, R.userFields.deliveryDates, 'date', 'Даты отгрузок');
  multipleField(state, R.userFields.segments, 'enumeration', 'Сегменты клиента', [
    { ID: R.segments.wholesale, SORT: 10, VALUE: 'Опт', DEF: 'N', XML_ID: 'wholesale' },
    { ID: R.segments.retail, SORT: 20, VALUE: 'Розница', DEF: 'N', XML_ID: 'retail' },
    { ID: R.segments.horeca, SORT: 30, VALUE: 'HoReCa', DEF: 'N', XML_ID: 'horeca' },
  ]);
  state.seq.ufEnum = Math.max(state.seq.ufEnum ?? 1001, 1004);
  // Deals that existed before the fields did: empty values.
  for (const d of state.deals) for (const name of Object.values(R.userFields)) if (d[name] === undefined) d[name] = [];
}

function seedClients({ state, host, day }: SeedContext): void {
  host.t = day(-400);
  const company = (TITLE: string, ASSIGNED_BY_ID: number, phone: string, city: string) =>
    addClient(host, 'company', { TITLE, INDUSTRY: 'MANUFACTURING', ASSIGNED_BY_ID, COMPANY_TYPE: 'CUSTOMER', ADDRESS_CITY: city, PHONE: [{ VALUE: phone, VALUE_TYPE: 'WORK' }] }, by(ASSIGNED_BY_ID));
  company('ООО «ПромТара»', 4, '+7 (351) 220-40-50', 'Челябинск'); // 9
  company('АО «Хлебозавод №1»', 3, '+7 (343) 310-20-30', 'Екатеринбург'); // 10
  const contact = (NAME: string, LAST_NAME: string, COMPANY_ID: number | null, ASSIGNED_BY_ID: number, POST: string, phone: string) =>
    addClient(host, 'contact', { NAME, LAST_NAME, COMPANY_ID, ASSIGNED_BY_ID, POST, TYPE_ID: 'CLIENT', PHONE: [{ VALUE: phone, VALUE_TYPE: 'MOBILE' }], EMAIL: [{ VALUE: `client${state.seq.contact ?? 1}@example.ru`, VALUE_TYPE: 'WORK' }] }, by(ASSIGNED_BY_ID));
  contact('Вадим', 'Ершов', 9, 4, 'Начальник отдела снабжения', '+7 912 400-11-22'); // 11
  contact('Людмила', 'Гаврилова', 9, 4, 'Главный бухгалтер', '+7 912 400-33-44'); // 12
  contact('Кирилл', 'Лапин', null, 7, 'Частный покупатель', '+7 922 500-66-77'); // 13
  contact('Ольга', 'Лапина', null, 7, 'Частный покупатель', '+7 922 500-88-99'); // 14
  contact('Тимур', 'Галиев', 10, 3, 'Закупщик', '+7 950 600-10-20'); // 15
}

function seedDeals(ctx: SeedContext): void {
  const R = REAL_WORLD;
  const { state, today } = ctx;
  const date = (days: number) => isoDay(today + days * DAY);
  state.seq.deal = Math.max(state.seq.deal ?? 1, 201);
  const c = R.contacts;
  seedDeal(ctx, { title: 'Годовой контракт на мешки — ПромТара', assigned: 4, company: 9, contacts: [c.promTaraBuyer], created: -60, stage: 'EXECUTING', closed: -50, items: [[1, 20000]] });
  seedDeal(ctx, { title: 'Стрейч-плёнка — ПромТара', assigned: 4, company: 9, contacts: [c.promTaraAccountant, c.promTaraBuyer], created: -40, stage: 'PREPARATION', closed: -38, items: [[4, 60]] });
  seedDeal(ctx, {
    title: 'Биг-бэги — ПромТара', assigned: 4, company: 9, contacts: [c.promTaraAccountant, c.promTaraBuyer], created: -30, stage: 'UC_PAYMENT', closed: R.days.lostWithOlderOpenDeals,
    items: [[3, 300]], comments: 'Не согласовали отсрочку платежа',
    uf: { [R.userFields.segments]: [R.segments.wholesale, R.segments.horeca], [R.userFields.deliveryDates]: [date(-20), date(-10)] },
  });
  seedDeal(ctx, { title: 'Сапоги — Лапин', assigned: 7, company: 0, contacts: [c.privateBuyer], created: -20, stage: 'LOSE', closed: R.days.contactLost, items: [[6, 3]], source: 'WEB' });
  seedDeal(ctx, { title: 'Сапоги и ботинки — Лапины', assigned: 7, company: 0, contacts: [c.privateBuyerSpouse, c.privateBuyer], created: -4, stage: 'NEW', items: [[6, 2], [5, 1]], source: 'WEB' });
  seedDeal(ctx, { title: 'Зимняя обувь — Лапины', assigned: 7, company: 0, contacts: [c.privateBuyerSpouse, c.privateBuyer], created: -95, stage: 'WON', closed: -90, items: [[5, 2]], source: 'WEB' });
  seedDeal(ctx, {
    title: 'Мешки для муки — Хлебозавод №1', assigned: 3, company: 10, contacts: [c.breadFactoryBuyer], created: -10, stage: 'WON', closed: R.days.wonWithFutureCloseDate,
    closeDate: R.days.futureCloseDate, items: [[2, 1500]], uf: { [R.userFields.deliveryDates]: [date(4), date(18)], [R.userFields.segments]: [R.segments.wholesale] },
  });
}

/** A lead written at 00:30 portal time two days ago: the evening before in UTC and in Moscow. */
function seedLeads({ host, day }: SeedContext): void {
  host.t = day(-2, 0) + 30 * 60_000;
  addLead(host, { TITLE: 'Ночная заявка с сайта: мешки', NAME: 'Евгений', LAST_NAME: 'Шубин', ASSIGNED_BY_ID: 4, SOURCE_ID: 'WEB', STATUS_ID: 'NEW', PHONE: [{ VALUE: '+7 904 700-00-07', VALUE_TYPE: 'WORK' }] }, by(4));
}

/** The real-world additions, after the demo seed (same seed day and clock). */
export function seedRealWorld(state: PortalState, at: { tz: number; now: number }): void {
  const ctx = seedContext(state, at);
  seedFields(ctx);
  seedClients(ctx);
  seedDeals(ctx);
  seedLeads(ctx);
}
