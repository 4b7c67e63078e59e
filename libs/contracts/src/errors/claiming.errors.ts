/**
 * Answers of the claim route and the claiming context. A sold-out or not-yet-open answer is not a
 * failure of the request: the H5 page reads the code and the details (countdown, next round).
 */
export const ClaimingErrors = {
  /** The citizen already holds the batch's per-citizen limit. details: { limit } */
  CLAIM_LIMIT_REACHED: 409,
  /** No round is open now. details: { serverTime, opensAt } (opensAt null when no round follows) */
  CLAIM_ROUND_NOT_OPEN: 409,
  /** The open round is sold out. details: { serverTime, round, nextRoundOpensAt } */
  CLAIM_ROUND_SOLD_OUT: 409,
  /** The whole batch is given out. */
  CLAIM_BATCH_SOLD_OUT: 410,
  /** The citizen or the batch does not qualify. details: { reason } */
  CLAIM_NOT_ELIGIBLE: 403,
} as const;

/** Reasons carried by CLAIM_NOT_ELIGIBLE. Stable strings, like the codes. */
export const ClaimIneligibleReason = {
  NotVerified: 'not_verified',
  BatchNotPublished: 'batch_not_published',
  BatchPaused: 'batch_paused',
  BatchEnded: 'batch_ended',
  CampaignNotRunning: 'campaign_not_running',
  CampaignPaused: 'campaign_paused',
  CampaignEnded: 'campaign_ended',
  ValidityOver: 'validity_over',
  RoundsOver: 'rounds_over',
  NotCitizen: 'not_citizen',
} as const;
export type ClaimIneligibleReason = (typeof ClaimIneligibleReason)[keyof typeof ClaimIneligibleReason];
