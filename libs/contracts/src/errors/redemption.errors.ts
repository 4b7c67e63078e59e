/**
 * Refusals of the redemption context (voucher codes, redemption rules, refunds). Codes are stable.
 * Code errors are 422 so a till can tell a forged code from an expired screenshot.
 */
export const RedemptionErrors = {
  /** Not a Jinli voucher code: wrong shape, wrong length (truncated), bad check digit. */
  VOUCHER_CODE_MALFORMED: 422,
  /** The signature does not match: made up or altered. */
  VOUCHER_CODE_FORGED: 422,
  /** A genuine code of an older time step (a screenshot or a replay). */
  VOUCHER_CODE_EXPIRED: 422,
  /** A genuine code of a time step that has not started here yet (clock skew). */
  VOUCHER_CODE_NOT_YET_VALID: 422,
  /** A genuine code, but of another voucher than the one the till is confirming. */
  VOUCHER_CODE_WRONG_VOUCHER: 422,
  /** A code signed by another deployment (test vs production, another city). */
  VOUCHER_CODE_OTHER_ENVIRONMENT: 422,
  VOUCHER_NOT_FOUND: 404,
  VOUCHER_ALREADY_REDEEMED: 409,
  VOUCHER_EXPIRED: 422,
  VOUCHER_VOID: 422,
  VOUCHER_NOT_YET_VALID: 422,
  VOUCHER_OUTSIDE_USAGE_WINDOW: 422,
  ORDER_BELOW_THRESHOLD: 422,
  /** The order (`orderRef`) already has a live redemption: one voucher per order. */
  VOUCHERS_PER_ORDER_EXCEEDED: 422,
  /**
   * The same citizen's voucher was redeemed at this store moments ago without telling two orders
   * apart (`orderRef`): it looks like one purchase split to use two vouchers.
   */
  REPEAT_REDEMPTION_TOO_SOON: 422,
  MERCHANT_CATEGORY_NOT_ALLOWED: 422,
  MERCHANT_DISTRICT_NOT_ALLOWED: 422,
  MERCHANT_NOT_WHITELISTED: 422,
  CAMPAIGN_PAUSED: 422,
  CAMPAIGN_ENDED: 422,
  BATCH_PAUSED: 422,
  BATCH_ENDED: 422,
  /** A funder of the campaign is paused or ended (or not yet published): it pays no new subsidy. */
  FUNDER_NOT_PUBLISHED: 422,
  /** A funder's committed subsidy would exceed its budget. */
  FUNDER_BUDGET_EXHAUSTED: 422,
  REDEMPTION_NOT_FOUND: 404,
  REDEMPTION_ALREADY_REVERSED: 409,
  REFUND_EXCEEDS_ORDER: 422,
} as const;
