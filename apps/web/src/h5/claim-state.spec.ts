import { claimState, OfferSnapshot, seqOfRound } from './claim-state';

const T = Date.parse('2020-07-04T10:00:00+08:00');
const iso = (ms: number) => new Date(ms).toISOString();
const offer = (o: Partial<OfferSnapshot> = {}): OfferSnapshot => ({
  rounds: [
    { seq: 1, opensAt: iso(T), closesAt: null },
    { seq: 2, opensAt: iso(T + 86400_000), closesAt: null },
  ],
  soldOutRounds: [],
  batchSoldOut: false,
  held: 0,
  limit: 1,
  blocked: null,
  ...o,
});

describe('claim button state', () => {
  it('counts down before the first round and flips to 立即领取 at the opening second', () => {
    expect(claimState(offer(), T - 1000)).toEqual({ kind: 'not_open', label: '未开始', opensAt: T });
    expect(claimState(offer(), T).label).toBe('立即领取');
  });

  it('shows 本轮已抢光 with the next round, then opens again when it starts', () => {
    const o = offer({ soldOutRounds: [1] });
    expect(claimState(o, T + 5000)).toEqual({
      kind: 'round_sold_out',
      label: '本轮已抢光',
      nextOpensAt: T + 86400_000,
    });
    expect(claimState(o, T + 86400_000).label).toBe('立即领取');
  });

  it('shows 已抢光 when the last round or the batch is sold out', () => {
    expect(claimState(offer({ soldOutRounds: [2] }), T + 86400_000 + 1).label).toBe('已抢光');
    expect(claimState(offer({ batchSoldOut: true }), T - 1000).label).toBe('已抢光');
  });

  it('shows 已领取 once the citizen holds the limit, whatever else is true', () => {
    expect(claimState(offer({ held: 1, batchSoldOut: true }), T).label).toBe('已领取');
    expect(claimState(offer({ held: 1, limit: 2 }), T).label).toBe('立即领取');
  });

  it('waits for the next round when a round has closed without selling out', () => {
    const o = offer({
      rounds: [
        { seq: 1, opensAt: iso(T), closesAt: iso(T + 3600_000) },
        { seq: 2, opensAt: iso(T + 86400_000), closesAt: null },
      ],
    });
    expect(claimState(o, T + 7200_000)).toEqual({
      kind: 'not_open',
      label: '未开始',
      opensAt: T + 86400_000,
    });
  });

  it('shows 已结束 once the batch or campaign is over', () => {
    expect(claimState(offer({ over: true }), T).label).toBe('已结束');
  });

  it('says why a citizen cannot claim at all', () => {
    expect(claimState(offer({ blocked: '仅限实名认证市民领取' }), T)).toEqual({
      kind: 'closed',
      label: '暂不可领',
      reason: '仅限实名认证市民领取',
    });
  });

  it('names the round a sold-out answer means by its number in opening order, not by the clock', () => {
    const rounds = [
      { seq: 7, opensAt: '2020-07-05T02:00:00.000Z', closesAt: null },
      { seq: 3, opensAt: '2020-07-04T02:00:00.000Z', closesAt: null },
    ];
    expect(seqOfRound(rounds, 1)).toBe(3);
    expect(seqOfRound(rounds, 2)).toBe(7);
    expect(seqOfRound(rounds, 3)).toBeNull();
  });
});
