/**
 * Why the portal refused a reactivation deal, when the reason is the rules' target: a pipeline
 * or a stage that the portal does not have (deleted, renamed id, a rules file written for another
 * portal). Read only after a refusal, so a reactivation that goes through costs nothing extra.
 */
import { isBitrix24Error } from '../../bitrix24';
import type { ActivityDeps } from '../shared';

/** The deal stages of a pipeline are the statuses DEAL_STAGE (pipeline 0) or DEAL_STAGE_<id>. */
function stageEntityId(categoryId: number): string {
  return categoryId === 0 ? 'DEAL_STAGE' : `DEAL_STAGE_${categoryId}`;
}

/**
 * What is missing of `target`, in words that say what to fix; undefined when the target exists,
 * when the refusal was not final (it is retried), or when the portal cannot be asked now.
 */
export async function targetMissing(deps: ActivityDeps, refusal: unknown, target: { categoryId: number; stageId: string }): Promise<string | undefined> {
  if (!isBitrix24Error(refusal) || refusal.kind === 'retryable') return undefined;
  try {
    const { categoryId, stageId } = target;
    const categories = await deps.crm.listCategories();
    // crm.category.list may leave the default pipeline 0 out: its stages tell.
    if (categoryId !== 0 && !categories.some((c) => c.id === categoryId)) {
      return `the target pipeline ${categoryId} (the target of the rule for this loss) does not exist on the portal: create it (npm run setup) or fix the rules`;
    }
    const stages = await deps.crm.listStatuses(stageEntityId(categoryId));
    if (!stages.some((s) => s.statusId === stageId)) {
      const known = stages.map((s) => s.statusId).slice(0, 12).join(', ') || 'none';
      return `the target stage ${stageId} (the target of the rule for this loss) is not a stage of pipeline ${categoryId} on the portal (its stages: ${known}): create the stage in Bitrix24 or fix the rules`;
    }
    return undefined;
  } catch {
    return undefined;
  }
}
