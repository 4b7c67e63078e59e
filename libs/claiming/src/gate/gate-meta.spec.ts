import { BatchSource, fullMeta, gateState, parseMeta, staleStaticFields, staticFields } from './gate-meta';

const H = 3600_000;
const t0 = Date.parse('2020-07-04T02:00:00Z');

function source(overrides: Partial<BatchSource> = {}): BatchSource {
  return {
    batchId: 1,
    createdAt: new Date(t0 - 10 * H),
    status: 'published',
    campaignStatus: 'published',
    campaignEndsAt: new Date(t0 + 100 * H),
    perCitizenLimit: 1,
    rollOverUnclaimed: true,
    quota: 10,
    returnedCount: 0,
    issuedCount: 3,
    validityKind: 'relative',
    validUntil: null,
    rounds: [
      {
        id: 11,
        seq: 1,
        opensAt: new Date(t0),
        closesAt: null,
        quota: 4,
        carriedIn: 0,
        carriedOut: 0,
        issuedCount: 3,
      },
      {
        id: 12,
        seq: 2,
        opensAt: new Date(t0 + 24 * H),
        closesAt: null,
        quota: 6,
        carriedIn: 0,
        carriedOut: 0,
        issuedCount: 0,
      },
    ],
    ...overrides,
  };
}

describe('gate meta', () => {
  it('ends a round when the next opens, the last one at the campaign end', () => {
    const sut = staticFields(source());
    expect(sut).toMatchObject({
      n: '2',
      e1: String(t0 + 24 * H),
      e2: String(t0 + 100 * H),
      cc1: '4',
      cc2: '10',
    });
  });

  it('counts reservations without a row on top of PostgreSQL', () => {
    const sut = fullMeta(source(), new Map([[1, 1]]), 'now');
    expect(sut).toMatchObject({ issued: '4', is1: '4', is2: '0', loaded: 'now' });
  });

  it('rolls what round 1 left into round 2, and only when the batch says so', () => {
    const meta = parseMeta(fullMeta(source(), new Map(), 'x'));
    expect(gateState(meta, t0 + 25 * H)).toMatchObject({ phase: 'open', currentRound: 2, left: 7 });
    const strict = parseMeta(fullMeta(source({ rollOverUnclaimed: false }), new Map(), 'x'));
    expect(gateState(strict, t0 + 25 * H)).toMatchObject({ phase: 'open', currentRound: 2, left: 6 });
  });

  it('tells not open (with the opening), sold out, and not eligible apart', () => {
    const meta = parseMeta(fullMeta(source(), new Map(), 'x'));
    expect(gateState(meta, t0 - H)).toMatchObject({ phase: 'not_open', opensAt: t0 });
    const sold = parseMeta(fullMeta(source({ issuedCount: 10 }), new Map(), 'x'));
    expect(gateState(sold, t0 + H).phase).toBe('sold_out');
    const paused = parseMeta(fullMeta(source({ status: 'paused' }), new Map(), 'x'));
    expect(gateState(paused, t0 + H)).toMatchObject({ phase: 'not_eligible', reason: 'batch_paused' });
  });

  it('finds rules and rounds that changed, not counters or capacities moved between rounds', () => {
    const meta = fullMeta(source(), new Map(), 'x');
    expect(staleStaticFields(staticFields(source()), { ...meta, issued: '7', is1: '5' })).toEqual([]);
    const moved = source();
    moved.rounds[0] = { ...moved.rounds[0], carriedOut: 1 };
    moved.rounds[1] = { ...moved.rounds[1], carriedIn: 1 };
    expect(staleStaticFields(staticFields(moved), meta)).toEqual([]);
    const changed = source({ campaignStatus: 'ended', perCitizenLimit: 2 });
    expect(staleStaticFields(staticFields(changed), meta)).toEqual(['ok', 'why', 'lim']);
  });
});
