/**
 * Identifies one loss of a deal or lead: the failure stage and the time it moved there
 * (`STAGE_ID@MOVED_TIME`). A lost element edited later keeps its loss key, so a finished
 * reactivation is not started again; re-opened and lost again later, it is a new loss.
 */
export function lossKeyOf(element: { stageId?: string; statusId?: string; movedAt: string | null; modifiedAt: string | null }): string {
  return `${element.stageId ?? element.statusId}@${element.movedAt ?? element.modifiedAt ?? ''}`;
}
