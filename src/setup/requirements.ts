/**
 * What the rules need on the portal, read from the rules alone (pure: no I/O).
 *
 *  - pipelines (deal categories) every rule refers to, with the name to create a missing one by;
 *  - deal stages and lead statuses: loss reasons (failure stages), targets (in-progress stages),
 *    «Забытый клиент» (a failure stage: a forgotten client's deal is closed, so it does not count
 *    as "an open deal of the client" and does not block its purchase cycle);
 *  - user fields: the analytics marks, the fields managers fill (a return date, a return period
 *    list, a loss-reason list), expiry date and consumption-rate fields, and the client field set
 *    when a client is forgotten. Only `UF_CRM_*` names are fields setup can create; other names
 *    are standard fields (SOURCE_ID, CLOSEDATE, ...) and are taken as present.
 *
 * Every requirement keeps the rule paths that name it, so a report can point at the rules file.
 */
import { formatDuration } from '../domain/durations';
import { pipelineOfStage } from '../domain/stages';
import type { Rules } from '../config/rules';

/** A path into the rules object: ['lostDeals', 'pipelines', 0, 'categoryId']. */
export type RulePath = readonly (string | number)[];

export type StageSemantics = 'process' | 'failure';

export interface PipelineNeed {
  categoryId: number;
  /** The name to create it by (and find it again by), when the rules give one. */
  name?: string;
  paths: RulePath[];
}

export interface StageNeed {
  kind: 'deal' | 'lead';
  /** Deal stages: the pipeline the stage id belongs to ("C7:NEW" → 7, "LOSE" → 0). */
  categoryId: number;
  /** The full id as the rules write it: "C7:UC_FORGOTTEN", "LOSE", lead status "JUNK". */
  statusId: string;
  name: string;
  semantics: StageSemantics;
  paths: RulePath[];
}

export type UserFieldEntity = 'deal' | 'lead' | 'company' | 'contact';

export interface ListItemNeed {
  /** The value the rules use (the list item id on the portal). */
  value: string;
  /** The item text to create it with (and find it again by). */
  label: string;
  path: RulePath;
}

export interface FieldNeed {
  entity: UserFieldEntity;
  fieldName: string;
  /** The type to create it with. */
  userTypeId: 'string' | 'integer' | 'double' | 'boolean' | 'date' | 'datetime' | 'enumeration';
  /** Types an existing field may have and still work. */
  accepts: readonly string[];
  label: string;
  /** Enumeration items the rules refer to by id. */
  items?: ListItemNeed[];
  paths: RulePath[];
}

export interface PortalNeeds {
  pipelines: PipelineNeed[];
  stages: StageNeed[];
  fields: FieldNeed[];
}

/** Name of the reactivation pipeline when the rules give none. */
export const REACTIVATION_PIPELINE_NAME = 'Реактивация';
export const FORGOTTEN_STAGE_NAME = 'Забытый клиент';

const DATE_TYPES = ['date', 'datetime'];

export function portalNeeds(rules: Rules): PortalNeeds {
  const c: Collected = { pipelines: new Map(), stages: new Map(), fields: new Map() };
  lostDealNeeds(c, rules.lostDeals);
  if (rules.clients) clientNeeds(c, rules.clients);
  if (rules.expiry) expiryNeeds(c, rules.expiry);

  // Stages name their pipeline: a stage of a pipeline nobody else names still needs it.
  for (const s of c.stages.values()) if (s.kind === 'deal' && !c.pipelines.has(s.categoryId)) pipeline(c, s.categoryId, s.paths[0]!);

  return {
    pipelines: [...c.pipelines.values()].sort((a, b) => a.categoryId - b.categoryId),
    stages: [...c.stages.values()].sort((a, b) => (a.kind === b.kind ? a.categoryId - b.categoryId : a.kind === 'deal' ? -1 : 1)),
    fields: [...c.fields.values()],
  };
}

// ---- Collecting: the same need named twice is one need with every path ---------------------

/** The needs found so far, by key, in the order found (fields keep that order in the result). */
interface Collected {
  pipelines: Map<number, PipelineNeed>;
  stages: Map<string, StageNeed>;
  fields: Map<string, FieldNeed>;
}

function pipeline(c: Collected, categoryId: number, path: RulePath, name?: string): void {
  const need = c.pipelines.get(categoryId) ?? { categoryId, paths: [] };
  need.paths.push(path);
  if (name && !need.name) need.name = name;
  c.pipelines.set(categoryId, need);
}

function stage(c: Collected, kind: StageNeed['kind'], statusId: string, name: string, semantics: StageSemantics, path: RulePath): void {
  const key = `${kind}:${statusId}`;
  const need = c.stages.get(key) ?? { kind, categoryId: kind === 'deal' ? pipelineOfStage(statusId) : 0, statusId, name, semantics, paths: [] };
  // A loss reason's own name beats a generic one ("Реактивация") given by a target.
  if (semantics === 'failure' && need.semantics !== 'failure') {
    need.semantics = 'failure';
    need.name = name;
  }
  need.paths.push(path);
  c.stages.set(key, need);
}

function field(c: Collected, need: Omit<FieldNeed, 'paths'>, path: RulePath): void {
  if (!/^UF_CRM_[A-Z0-9_]+$/.test(need.fieldName)) return; // a standard field
  const key = `${need.entity}:${need.fieldName}`;
  const existing = c.fields.get(key);
  if (existing) {
    existing.paths.push(path);
    for (const item of need.items ?? []) {
      existing.items ??= [];
      if (!existing.items.some((i) => i.value === item.value)) existing.items.push(item);
    }
    return;
  }
  c.fields.set(key, { ...need, items: need.items?.slice(), paths: [path] });
}

// ---- The shapes several scenarios share -----------------------------------------------------

type DealTargetLike = { categoryId: number; stageId: string };
type ForgottenLike = DealTargetLike & { clientField?: { field: string; value: unknown } };
type PeriodRule = NonNullable<Rules['lostDeals']['returnPeriod']>;

function dealTarget(c: Collected, t: DealTargetLike | undefined, path: RulePath, reactivationPipeline: boolean): void {
  if (!t) return;
  pipeline(c, t.categoryId, [...path, 'categoryId'], reactivationPipeline && t.categoryId !== 0 ? REACTIVATION_PIPELINE_NAME : undefined);
  stage(c, 'deal', t.stageId, stageNameFor(t.stageId), 'process', [...path, 'stageId']);
}

function forgotten(c: Collected, f: ForgottenLike | undefined, path: RulePath, reactivationPipeline: boolean): void {
  if (!f) return;
  pipeline(c, f.categoryId, [...path, 'categoryId'], reactivationPipeline && f.categoryId !== 0 ? REACTIVATION_PIPELINE_NAME : undefined);
  stage(c, 'deal', f.stageId, FORGOTTEN_STAGE_NAME, 'failure', [...path, 'stageId']);
  if (f.clientField) {
    for (const entity of ['company', 'contact'] as const) {
      field(c, { entity, fieldName: f.clientField.field, ...typeOfValue(f.clientField.value), label: 'Забытый клиент' }, [...path, 'clientField', 'field']);
    }
  }
}

function managerFields(c: Collected, rule: PeriodRule | undefined, entities: readonly UserFieldEntity[], path: RulePath): void {
  if (!rule || rule.kind !== 'manager') return;
  for (const entity of entities) {
    if (rule.dateField) {
      field(c, { entity, fieldName: rule.dateField, userTypeId: 'date', accepts: DATE_TYPES, label: 'Дата возврата (реактивация)' }, [...path, 'dateField']);
    }
    if (rule.listField) {
      field(
        c,
        {
          entity,
          fieldName: rule.listField,
          userTypeId: 'enumeration',
          accepts: ['enumeration'],
          label: 'Срок возврата (реактивация)',
          items: rule.options.map((o, i) => ({ value: o.value, label: `через ${formatDuration(o.period, 'ruAccusative')}`, path: [...path, 'options', i, 'value'] })),
        },
        [...path, 'listField'],
      );
    }
  }
}

// ---- Per scenario ---------------------------------------------------------------------------

function lostDealNeeds(c: Collected, lost: Rules['lostDeals']): void {
  const lostEntities: UserFieldEntity[] = lost.leads ? ['deal', 'lead'] : ['deal'];
  const marks = lost.marks;
  field(c, { entity: 'deal', fieldName: marks.sourceField, userTypeId: 'integer', accepts: ['integer', 'double', 'string'], label: 'Реактивация: исходная сделка' }, ['lostDeals', 'marks', 'sourceField']);
  field(c, { entity: 'deal', fieldName: marks.reasonField, userTypeId: 'string', accepts: ['string'], label: 'Реактивация: причина отказа' }, ['lostDeals', 'marks', 'reasonField']);
  field(c, { entity: 'deal', fieldName: marks.attemptField, userTypeId: 'integer', accepts: ['integer', 'double', 'string'], label: 'Реактивация: попытка' }, ['lostDeals', 'marks', 'attemptField']);
  field(c, { entity: 'deal', fieldName: marks.dateField, userTypeId: 'datetime', accepts: DATE_TYPES, label: 'Реактивация: дата' }, ['lostDeals', 'marks', 'dateField']);

  managerFields(c, lost.returnPeriod, lostEntities, ['lostDeals', 'returnPeriod']);
  dealTarget(c, lost.target, ['lostDeals', 'target'], true);
  forgotten(c, lost.forgotten, ['lostDeals', 'forgotten'], true);
  lost.pipelines.forEach((p, i) => lostPipelineNeeds(c, p, ['lostDeals', 'pipelines', i]));
  if (lost.leads) lostLeadNeeds(c, lost.leads, ['lostDeals', 'leads']);
}

function lostPipelineNeeds(c: Collected, p: Rules['lostDeals']['pipelines'][number], at: RulePath): void {
  pipeline(c, p.categoryId, [...at, 'categoryId'], p.name);
  managerFields(c, p.returnPeriod, ['deal'], [...at, 'returnPeriod']);
  dealTarget(c, p.target, [...at, 'target'], true);
  forgotten(c, p.forgotten, [...at, 'forgotten'], true);
  if (p.reasonField) {
    field(
      c,
      {
        entity: 'deal',
        fieldName: p.reasonField,
        userTypeId: 'enumeration',
        accepts: ['enumeration'],
        label: 'Причина отказа',
        items: p.reasons.flatMap((r, j) => (r.value === undefined ? [] : [{ value: r.value, label: r.name, path: [...at, 'reasons', j, 'value'] }])),
      },
      [...at, 'reasonField'],
    );
  }
  p.reasons.forEach((r, j) => {
    const rp: RulePath = [...at, 'reasons', j];
    if (!p.reasonField && r.stageId) stage(c, 'deal', r.stageId, r.name, 'failure', [...rp, 'stageId']);
    managerFields(c, r.returnPeriod, ['deal'], [...rp, 'returnPeriod']);
    dealTarget(c, r.target, [...rp, 'target'], true);
  });
  if (p.otherReasons) {
    managerFields(c, p.otherReasons.returnPeriod, ['deal'], [...at, 'otherReasons', 'returnPeriod']);
    dealTarget(c, p.otherReasons.target, [...at, 'otherReasons', 'target'], true);
  }
}

function lostLeadNeeds(c: Collected, leads: NonNullable<Rules['lostDeals']['leads']>, at: RulePath): void {
  stage(c, 'lead', leads.target.statusId, 'В работе', 'process', [...at, 'target', 'statusId']);
  if (leads.forgotten) stage(c, 'lead', leads.forgotten.statusId, FORGOTTEN_STAGE_NAME, 'failure', [...at, 'forgotten', 'statusId']);
  managerFields(c, leads.returnPeriod, ['lead'], [...at, 'returnPeriod']);
  leads.statuses.forEach((s, j) => {
    stage(c, 'lead', s.statusId, s.name, 'failure', [...at, 'statuses', j, 'statusId']);
    if (s.target) stage(c, 'lead', s.target.statusId, 'В работе', 'process', [...at, 'statuses', j, 'target', 'statusId']);
    managerFields(c, s.returnPeriod, ['lead'], [...at, 'statuses', j, 'returnPeriod']);
  });
  if (leads.otherStatuses) {
    managerFields(c, leads.otherStatuses.returnPeriod, ['lead'], [...at, 'otherStatuses', 'returnPeriod']);
    if (leads.otherStatuses.target) stage(c, 'lead', leads.otherStatuses.target.statusId, 'В работе', 'process', [...at, 'otherStatuses', 'target', 'statusId']);
  }
}

function clientNeeds(c: Collected, clients: NonNullable<Rules['clients']>): void {
  clients.wonIn.forEach((id, i) => pipeline(c, id, ['clients', 'wonIn', i]));
  clients.periods.pipelines.forEach((p, i) => pipeline(c, p.categoryId, ['clients', 'periods', 'pipelines', i, 'categoryId']));
  dealTarget(c, clients.target, ['clients', 'target'], false);
  forgotten(c, clients.forgotten, ['clients', 'forgotten'], true);
  clients.chains.forEach((chain, i) => dealTarget(c, chain.target, ['clients', 'chains', i, 'target'], false));
}

function expiryNeeds(c: Collected, expiry: NonNullable<Rules['expiry']>): void {
  expiry.wonIn.forEach((id, i) => pipeline(c, id, ['expiry', 'wonIn', i]));
  dealTarget(c, expiry.target, ['expiry', 'target'], false);
  expiry.rules.forEach((rule, i) => {
    const at: RulePath = ['expiry', 'rules', i, 'expiresAt'];
    const spec = rule.expiresAt;
    if (spec.field) field(c, { entity: 'deal', fieldName: spec.field, userTypeId: 'date', accepts: DATE_TYPES, label: `Дата окончания (${rule.name})` }, [...at, 'field']);
    if (spec.kind === 'consumption' && spec.rateField) {
      field(c, { entity: 'deal', fieldName: spec.rateField, userTypeId: 'double', accepts: ['double', 'integer'], label: `Расход в месяц (${rule.name})` }, [...at, 'rateField']);
    }
  });
}

function stageNameFor(stageId: string): string {
  const code = stageId.replace(/^C\d+:/, '');
  return code === 'NEW' ? 'Новая' : REACTIVATION_PIPELINE_NAME;
}

function typeOfValue(value: unknown): Pick<FieldNeed, 'userTypeId' | 'accepts'> {
  if (typeof value === 'boolean') return { userTypeId: 'boolean', accepts: ['boolean', 'string', 'integer'] };
  if (typeof value === 'number') return Number.isInteger(value) ? { userTypeId: 'integer', accepts: ['integer', 'double', 'string'] } : { userTypeId: 'double', accepts: ['double', 'string'] };
  return { userTypeId: 'string', accepts: ['string', 'boolean', 'enumeration'] };
}

/** `lostDeals.pipelines[0].reasons[2].stageId` */
export function formatRulePath(path: RulePath): string {
  if (path.length === 0) return '(root)';
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${key}`)).join('');
}

/** The stage code without its pipeline prefix: "C7:UC_X" → "UC_X". */
export function stageCode(stageId: string): string {
  return stageId.replace(/^C\d+:/, '');
}
