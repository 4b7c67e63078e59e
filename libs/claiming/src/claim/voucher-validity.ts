/** What decides a voucher's validity window at claim time. */
export interface ValidityRule {
  validityKind: 'fixed' | 'relative';
  validFromMs: number | null;
  validUntilMs: number | null;
  validDays: number | null;
  campaignEndsAtMs: number;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * The validity window of a voucher claimed at `claimedAtMs`:
 * - fixed: the batch's window, as it is;
 * - relative: from the claim for `validDays` days, but never past the campaign's end (public money
 *   is budgeted per campaign; a voucher does not outlive its programme). A claim is only possible
 *   while a round is open, and rounds lie inside the campaign, so the window is never empty.
 */
export function voucherValidity(rule: ValidityRule, claimedAtMs: number): { from: number; until: number } {
  if (rule.validityKind === 'fixed') {
    if (rule.validFromMs === null || rule.validUntilMs === null)
      throw new Error('a fixed validity needs from and until');
    return { from: rule.validFromMs, until: rule.validUntilMs };
  }
  if (!rule.validDays || rule.validDays <= 0) throw new Error('a relative validity needs a number of days');
  const until = Math.min(claimedAtMs + rule.validDays * DAY_MS, rule.campaignEndsAtMs);
  return { from: claimedAtMs, until: Math.max(until, claimedAtMs + 1000) };
}
