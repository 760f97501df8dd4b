/** Message shapes every scenario workflow shares (a manager's cancel and postpone). */

export interface CancelRequest {
  reason: string;
  by?: string;
}

export interface PostponeRequest {
  /** Whole days added to the current date. */
  days: number;
  by?: string;
}
