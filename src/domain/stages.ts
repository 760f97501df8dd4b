/**
 * Bitrix24 stage ids carry their pipeline: `LOSE` is in pipeline 0, `C7:LOSE` in pipeline 7.
 */

/** The pipeline (CATEGORY_ID) a deal stage id belongs to: "C7:LOSE" → 7, "LOSE" → 0. */
export function pipelineOfStage(stageId: string): number {
  const match = /^C(\d+):/.exec(stageId);
  return match ? Number(match[1]) : 0;
}

/** Whether a stage id belongs to a pipeline. */
export function stageBelongsTo(stageId: string, categoryId: number): boolean {
  return pipelineOfStage(stageId) === categoryId;
}

/** The stage id of the "NEW" stage of a pipeline: "NEW" in 0, "C7:NEW" in 7. */
export function newStageOf(categoryId: number): string {
  return categoryId === 0 ? 'NEW' : `C${categoryId}:NEW`;
}

/** How a stage id of a pipeline is written: "LOSE" in 0, "C7:LOSE" in 7. */
export function stageIdIn(categoryId: number, code: string): string {
  return categoryId === 0 ? code : `C${categoryId}:${code}`;
}
