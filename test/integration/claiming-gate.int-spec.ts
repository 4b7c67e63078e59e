import { ClaimGate, ReserveResult } from '@jinli/claiming';
import { metricsRegistry } from '@jinli/platform';
import { Factories, HOUR, TestApi } from '@jinli/testing';

/** Script calls and the claims they carried so far (the gate's own metric, from the registry). */
async function gateCalls(): Promise<{ calls: number; claims: number }> {
  const m = metricsRegistry.getSingleMetric('jinli_claim_gate_claims_per_call');
  const values = (await m!.get()).values;
  const value = (name: string) =>
    values.find((v) => (v as { metricName?: string }).metricName === name)?.value ?? 0;
  return {
    calls: value('jinli_claim_gate_claims_per_call_count'),
    claims: value('jinli_claim_gate_claims_per_call_sum'),
  };
}

/** Calls and claims since `before`. */
async function since(before: { calls: number; claims: number }) {
  const now = await gateCalls();
  return { calls: now.calls - before.calls, claims: now.claims - before.claims };
}

/**
 * The gate gathers the claims of one event-loop turn into one script call. These tests count the
 * script calls the gate made to the real Redis with its own metric.
 */
describe('claim gate: claims of one turn in one script call', () => {
  let api: TestApi;
  let f: Factories;
  let gate: ClaimGate;
  let before: { calls: number; claims: number };
  beforeAll(async () => {
    api = await TestApi.start({
      now: '2020-07-04T01:00:00Z',
      env: { CLAIM_RATE_PER_IP: '1000000', CLAIM_GATE_MAX_BATCH: '20' },
    });
    f = await new Factories(api).init();
    gate = api.get(ClaimGate);
  });
  beforeEach(async () => {
    before = await gateCalls();
  });
  afterAll(() => api.close());

  /** Gives back what a test reserved (no rows were written for them). */
  async function releaseAll(batchId: number, claims: [number, ReserveResult][]) {
    for (const [citizenId, r] of claims) {
      if (r.kind === 'reserved') expect(await gate.release(batchId, citizenId, r.slot, r.round)).toBe(1);
    }
  }

  it('decides each claim in its order, as if sent alone, in one call', async () => {
    const batch = await f.batch({
      quota: 5,
      perCitizenLimit: 2,
      rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 5 }],
    });
    // Citizen 1 presses three times, then five others: 5 vouchers for 8 presses.
    const citizens = [1, 1, 1, 2, 3, 4, 5, 6].map((n) => 900_000 + n);
    const now = api.clock.nowMs();
    const answers = await Promise.all(citizens.map((c) => gate.reserve(batch.id, c, '10.0.0.1', now)));

    expect(await since(before)).toEqual({ calls: 1, claims: 8 });
    expect(answers.map((a) => a.kind)).toEqual([
      'reserved',
      'reserved',
      'limit_reached',
      'reserved',
      'reserved',
      'reserved',
      'batch_sold_out',
      'batch_sold_out',
    ]);
    expect(answers.slice(0, 2).map((a) => (a.kind === 'reserved' ? a.slot : 0))).toEqual([1, 2]);
    expect(answers.map((a) => (a.kind === 'reserved' ? a.batchLeftAfter : null))).toEqual([
      4,
      3,
      null,
      2,
      1,
      0,
      null,
      null,
    ]);
    expect((await gate.snapshot(batch.id)).issued).toBe(5);
    await releaseAll(
      batch.id,
      citizens.map((c, i) => [c, answers[i]]),
    );
  });

  it('splits a larger turn into calls of at most CLAIM_GATE_MAX_BATCH claims, and separate turns into separate calls', async () => {
    const n = gate.maxBatch * 2 + 10;
    const batch = await f.batch({
      quota: n + 1,
      rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: n + 1 }],
    });
    const now = api.clock.nowMs();
    const citizens = Array.from({ length: n }, (_, i) => 800_000 + i);
    const answers = await Promise.all(citizens.map((c) => gate.reserve(batch.id, c, '10.0.0.2', now)));
    expect(await since(before)).toEqual({ calls: 3, claims: n });
    expect(answers.filter((a) => a.kind === 'reserved')).toHaveLength(n);

    // A claim of the next turn is a call of its own; the same citizen finds the limit reached.
    const again = await gate.reserve(batch.id, citizens[0], '10.0.0.2', now);
    expect(again).toEqual({ kind: 'limit_reached', limit: 1 });
    expect(await since(before)).toEqual({ calls: 4, claims: n + 1 });
    await releaseAll(
      batch.id,
      citizens.map((c, i) => [c, answers[i]]),
    );
  });

  it('keeps claims of different batches and different seconds in separate calls', async () => {
    const open = { opensAt: new Date(api.clock.nowMs() - HOUR), quota: 3 };
    const [a, b] = [await f.batch({ quota: 3, rounds: [open] }), await f.batch({ quota: 3, rounds: [open] })];
    const now = api.clock.nowMs();
    const answers = await Promise.all([
      gate.reserve(a.id, 700_001, '10.0.0.3', now),
      gate.reserve(b.id, 700_001, '10.0.0.3', now),
      gate.reserve(a.id, 700_002, '10.0.0.3', now + 1000),
      gate.reserve(a.id, 700_003, '10.0.0.3', now),
    ]);
    expect(await since(before)).toEqual({ calls: 3, claims: 4 });
    expect(answers.map((x) => x.kind)).toEqual(['reserved', 'reserved', 'reserved', 'reserved']);
    expect((await gate.snapshot(a.id)).issued).toBe(3);
    expect((await gate.snapshot(b.id)).issued).toBe(1);
    await releaseAll(a.id, [
      [700_001, answers[0]],
      [700_002, answers[2]],
      [700_003, answers[3]],
    ]);
    await releaseAll(b.id, [[700_001, answers[1]]]);
  });

  it('a failed call fails every claim it carried, and changes nothing', async () => {
    const batch = await f.batch({
      quota: 5,
      rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 5 }],
    });
    const now = api.clock.nowMs();
    // A real error inside Redis: the per-citizen rate hash of this window is a string, so the
    // script's first write (HINCRBY on it) fails with WRONGTYPE.
    const window = Math.floor(now / gate.limits.windowMs);
    const rateKey = gate.keys(batch.id).rateCitizens(window);
    await api.redis.client.set(rateKey, 'not a hash');
    try {
      const answers = await Promise.allSettled(
        [600_001, 600_002, 600_003].map((c) => gate.reserve(batch.id, c, '10.0.0.4', now)),
      );
      expect(await since(before)).toEqual({ calls: 1, claims: 3 });
      expect(answers.map((x) => x.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(String((answers[0] as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/);
    } finally {
      await api.redis.client.del(rateKey);
    }
    expect((await gate.snapshot(batch.id)).issued).toBe(0);
  });
});
