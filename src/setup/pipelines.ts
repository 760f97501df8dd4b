/**
 * Setup phases 1 and 2: the pipelines the rules use (by id, else by name; created by name when
 * missing) and their stages and the lead statuses (by id; created with the right semantics).
 */
import type { Category, Status } from '../bitrix24';
import { stageIdIn } from '../domain/stages';
import { formatRulePath, stageCode, type PipelineNeed, type StageNeed } from './requirements';
import { edit, failure, report, sameName, type Run } from './run';

// ---- 1. Pipelines ---------------------------------------------------------------------------

/** rules id → portal id (undefined: missing, not created in check mode). */
export type PipelineMap = Map<number, number | undefined>;

export async function ensurePipelines(run: Run, needs: PipelineNeed[]): Promise<PipelineMap> {
  run.deps.reporter.line('Pipelines');
  const categories = await run.deps.crm.listCategories(2);
  const pipelineMap: PipelineMap = new Map();
  for (const need of needs) pipelineMap.set(need.categoryId, await ensurePipeline(run, need, categories));
  return pipelineMap;
}

async function ensurePipeline(run: Run, need: PipelineNeed, list: Category[]): Promise<number | undefined> {
  const byId = need.categoryId === 0 ? { id: 0, name: list.find((c) => c.id === 0)?.name ?? 'default' } : list.find((c) => c.id === need.categoryId);
  if (byId) {
    const named = need.name && !sameName(byId.name, need.name) ? `; the rules call it «${need.name}»` : '';
    report(run, { kind: 'pipeline', subject: `pipeline ${need.categoryId} «${byId.name}»`, status: 'ok', detail: named || undefined });
    return need.categoryId;
  }
  if (!need.name) {
    report(run, {
      kind: 'pipeline',
      subject: `pipeline ${need.categoryId}`,
      status: 'differs',
      detail: `does not exist on the portal, and the rules give no name to create it by (${formatRulePath(need.paths[0]!)}): fix the id, or name it in lostDeals.pipelines`,
    });
    return undefined;
  }
  const byName = list.find((c) => sameName(c.name, need.name!));
  if (byName) {
    run.pipelineIds.push({ rulesId: need.categoryId, portalId: byName.id, name: byName.name });
    edit(run, need.paths, String(need.categoryId), String(byName.id));
    report(run, { kind: 'pipeline', subject: `pipeline «${byName.name}»`, status: 'differs', detail: `exists as id ${byName.id}; the rules say ${need.categoryId} (see "Edit the rules" below)` });
    return byName.id;
  }
  if (run.check) {
    report(run, { kind: 'pipeline', subject: `pipeline «${need.name}»`, status: 'missing', detail: `the rules refer to it as ${need.categoryId}; setup creates it` });
    return undefined;
  }
  try {
    const created = await run.deps.crm.addCategory(2, { name: need.name });
    list.push(created);
    run.pipelineIds.push({ rulesId: need.categoryId, portalId: created.id, name: created.name });
    edit(run, need.paths, String(need.categoryId), String(created.id));
    report(run, { kind: 'pipeline', subject: `pipeline «${created.name}»`, status: 'created', detail: `id ${created.id}; the rules say ${need.categoryId} (see "Edit the rules" below)` });
    return created.id;
  } catch (error) {
    report(run, { kind: 'pipeline', subject: `pipeline «${need.name}»`, status: 'failed', detail: failure(error) });
    return undefined;
  }
}

// ---- 2. Stages and lead statuses ------------------------------------------------------------

/** The statuses of each ENTITY_ID, read once per run (and kept up to date by what setup adds). */
type StatusCache = Map<string, Status[]>;

export async function ensureStages(run: Run, needs: StageNeed[], pipelineMap: PipelineMap): Promise<void> {
  run.deps.reporter.line('Stages');
  const statuses: StatusCache = new Map();
  for (const need of needs) await ensureStage(run, need, pipelineMap, statuses);
}

async function statusesOf(run: Run, cache: StatusCache, entityId: string): Promise<Status[]> {
  let list = cache.get(entityId);
  if (!list) {
    list = await run.deps.crm.listStatuses(entityId);
    cache.set(entityId, list);
  }
  return list;
}

async function ensureStage(run: Run, need: StageNeed, pipelineMap: PipelineMap, statuses: StatusCache): Promise<void> {
  const what = need.kind === 'lead' ? 'lead status' : 'stage';
  let statusId = need.statusId;
  let entityId = 'STATUS';
  if (need.kind === 'deal') {
    const portalCategory = pipelineMap.get(need.categoryId);
    if (portalCategory === undefined) {
      report(run, { kind: 'stage', subject: `${what} ${need.statusId} «${need.name}»`, status: 'missing', detail: `its pipeline ${need.categoryId} is missing` });
      return;
    }
    statusId = stageIdIn(portalCategory, stageCode(need.statusId));
    entityId = portalCategory === 0 ? 'DEAL_STAGE' : `DEAL_STAGE_${portalCategory}`;
    if (statusId !== need.statusId) edit(run, need.paths, need.statusId, statusId);
  }
  const list = await statusesOf(run, statuses, entityId);
  const found = list.find((s) => s.statusId === statusId);
  const subject = `${what} ${statusId} «${found?.name ?? need.name}»${need.kind === 'deal' ? ` (${need.semantics === 'failure' ? 'failure' : 'in progress'})` : ''}`;
  if (found) {
    const problem = semanticsProblem(need, found);
    report(run, { kind: 'stage', subject, status: problem ? 'differs' : 'ok', detail: problem });
    return;
  }
  if (run.check) {
    report(run, { kind: 'stage', subject, status: 'missing' });
    return;
  }
  try {
    const sort = sortFor(need.semantics, list);
    await run.deps.crm.addStatus({ entityId, statusId, name: need.name, sort, semantics: need.semantics === 'failure' ? 'F' : '' });
    list.push({ id: 0, entityId, statusId, name: need.name, sort, categoryId: null, semantics: need.semantics, color: null, system: false });
    report(run, { kind: 'stage', subject, status: 'created' });
  } catch (error) {
    report(run, { kind: 'stage', subject, status: 'failed', detail: failure(error) });
  }
}

function semanticsProblem(need: StageNeed, found: Status): string | undefined {
  if (need.semantics === 'failure' && found.semantics !== 'failure') {
    return `it is ${found.semantics === 'success' ? 'a success' : 'an in-progress'} stage on the portal; ${need.name === 'Забытый клиент' ? '«Забытый клиент»' : 'a loss reason'} must be a failure stage (${formatRulePath(need.paths[0]!)})`;
  }
  if (need.semantics === 'process' && found.semantics !== 'process') {
    return `it is a ${found.semantics} stage on the portal; a reactivation target must be an in-progress stage (${formatRulePath(need.paths[0]!)})`;
  }
  return undefined;
}

/** In-progress stages go before the success stage, failure stages after everything. */
function sortFor(semantics: StageNeed['semantics'], list: Status[]): number {
  const max = list.reduce((m, s) => Math.max(m, s.sort), 0);
  if (semantics === 'failure') return max + 10;
  const firstClosed = list.filter((s) => s.semantics !== 'process').reduce((m, s) => Math.min(m, s.sort), Number.POSITIVE_INFINITY);
  const lastOpen = list.filter((s) => s.semantics === 'process').reduce((m, s) => Math.max(m, s.sort), 0);
  if (!Number.isFinite(firstClosed)) return max + 10;
  return Math.max(1, Math.min(lastOpen + 5, firstClosed - 1));
}
