import { heldOf, refusalOutcome, UNKNOWN_OUTCOME_MESSAGE } from './claim-outcome';

describe('what a claim’s answer means for the citizen', () => {
  it('an unknown outcome is said as such and never retried; a plain 503 is retried', () => {
    expect(refusalOutcome('UNAVAILABLE', { outcome: 'unknown' }, '')).toEqual({ kind: 'unknown' });
    expect(refusalOutcome('UNAVAILABLE', undefined, '')).toBeNull();
    expect(refusalOutcome('INTERNAL', undefined, '')).toBeNull();
    expect(UNKNOWN_OUTCOME_MESSAGE).toBe('网络异常，领取结果未知，请到「我的券」查看');
  });

  it('names the refusals the button shows', () => {
    expect(refusalOutcome('CLAIM_LIMIT_REACHED', {}, '')).toEqual({ kind: 'limit' });
    expect(refusalOutcome('CLAIM_BATCH_SOLD_OUT', {}, '')).toEqual({ kind: 'sold_out' });
    expect(
      refusalOutcome(
        'CLAIM_ROUND_SOLD_OUT',
        { serverTime: '2020-07-04T02:00:00.000Z', round: 1, nextRoundOpensAt: '2020-07-05T02:00:00.000Z' },
        '',
      ),
    ).toEqual({
      kind: 'round_sold_out',
      round: 1,
      nextRoundOpensAt: '2020-07-05T02:00:00.000Z',
      nextInMs: 86_400_000,
    });
    // The last round: no next one, nothing to wait for.
    expect(
      refusalOutcome(
        'CLAIM_ROUND_SOLD_OUT',
        { serverTime: '2020-07-04T02:00:00.000Z', round: 2, nextRoundOpensAt: null },
        '',
      ),
    ).toEqual({ kind: 'round_sold_out', round: 2, nextRoundOpensAt: null, nextInMs: null });
    expect(refusalOutcome('CLAIM_NOT_ELIGIBLE', { reason: 'not_verified' }, 'x')).toEqual({
      kind: 'not_eligible',
      reason: '仅限实名认证市民领取，请先在「我的」完成实名认证',
    });
    expect(refusalOutcome('CLAIM_NOT_ELIGIBLE', { reason: 'new_reason' }, '暂不符合领取条件')).toEqual({
      kind: 'not_eligible',
      reason: '暂不符合领取条件',
    });
    // A tap 1.2 s early: how early, so the page waits and tries again.
    expect(
      refusalOutcome(
        'CLAIM_ROUND_NOT_OPEN',
        { opensAt: '2020-07-05T02:00:00.000Z', serverTime: '2020-07-05T01:59:58.800Z' },
        '',
      ),
    ).toEqual({ kind: 'not_open', opensAt: '2020-07-05T02:00:00.000Z', earlyMs: 1200 });
  });

  it('counts the vouchers of a batch the citizen holds', () => {
    expect(heldOf([{ batchId: 1 }, { batchId: 2 }, { batchId: 1 }], 1)).toBe(2);
    expect(heldOf([], 1)).toBe(0);
  });
});
