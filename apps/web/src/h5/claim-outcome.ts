/**
 * What a claim's answer means for the citizen (POST /claiming/batches/:id/claim), decided without
 * the network so it is unit-tested: catalogue.ts sends, retries and waits; this names the outcome.
 */
export type ClaimOutcome =
  | { kind: 'claimed'; voucherId: number | null }
  | { kind: 'limit' }
  | { kind: 'not_open'; opensAt: string | null; earlyMs: number | null }
  | {
      kind: 'round_sold_out';
      /** The round the server says is sold out (1..n in opening order), when it says. */
      round: number | null;
      nextRoundOpensAt: string | null;
      /** How long until the next round opens, by the server's clock (ms), when it says. */
      nextInMs: number | null;
    }
  | { kind: 'sold_out' }
  | { kind: 'not_eligible'; reason: string }
  /**
   * The server could not learn whether the voucher was written (its database connection broke
   * mid-insert): it may be in 我的券 already. Not retried, and the page says to look there.
   */
  | { kind: 'unknown' };

export const INELIGIBLE_REASON: Record<string, string> = {
  not_verified: '仅限实名认证市民领取，请先在「我的」完成实名认证',
  batch_not_published: '该券尚未发布',
  batch_paused: '该券暂停领取',
  batch_ended: '该券已停止领取',
  campaign_not_running: '活动不在进行中',
  campaign_paused: '活动已暂停',
  campaign_ended: '活动已结束',
  validity_over: '该券有效期已过',
  rounds_over: '所有场次已结束',
  not_citizen: '请使用市民账号登录',
};

export const UNKNOWN_OUTCOME_MESSAGE = '网络异常，领取结果未知，请到「我的券」查看';

/**
 * The outcome a refusal names, or null when it names none (busy, network: retry with backoff if
 * the error is retryable, else show its message).
 */
export function refusalOutcome(code: string, details: unknown, message: string): ClaimOutcome | null {
  const d = (details ?? {}) as Record<string, unknown>;
  switch (code) {
    case 'CLAIM_LIMIT_REACHED':
      return { kind: 'limit' };
    case 'CLAIM_ROUND_NOT_OPEN': {
      const early = Date.parse(String(d.opensAt)) - Date.parse(String(d.serverTime));
      return {
        kind: 'not_open',
        opensAt: (d.opensAt as string | null) ?? null,
        earlyMs: Number.isFinite(early) ? early : null,
      };
    }
    case 'CLAIM_ROUND_SOLD_OUT': {
      const next = (d.nextRoundOpensAt as string | null) ?? null;
      const nextIn = next === null ? NaN : Date.parse(next) - Date.parse(String(d.serverTime));
      return {
        kind: 'round_sold_out',
        round: typeof d.round === 'number' ? d.round : null,
        nextRoundOpensAt: next,
        nextInMs: Number.isFinite(nextIn) ? nextIn : null,
      };
    }
    case 'CLAIM_BATCH_SOLD_OUT':
      return { kind: 'sold_out' };
    case 'CLAIM_NOT_ELIGIBLE':
      return { kind: 'not_eligible', reason: INELIGIBLE_REASON[String(d.reason)] ?? message };
    case 'UNAVAILABLE':
      // "Nothing was claimed" is a plain 503 (retry); "unknown" may have gone through: never retry it.
      return d.outcome === 'unknown' ? { kind: 'unknown' } : null;
    default:
      return null;
  }
}

/** How many vouchers of a batch the citizen holds, from GET /me/vouchers (every state). */
export function heldOf(items: { batchId: number }[], batchId: number): number {
  return items.filter((v) => v.batchId === batchId).length;
}
