import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import {
  ClaimGate,
  defineGateCommands,
  parseReserve,
  RESERVE_CALL_TTL_MS,
  ReserveClaim,
  reserveManyCall,
  ReserveResult,
} from '@jinli/claiming';
import { metricsRegistry, redisClientOptions } from '@jinli/platform';
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

  /**
   * ioredis resends a call whose reply was lost with a dropped connection (autoResendUnfulfilledCommands):
   * each call has its own id, and a run that finds the answers kept for that id returns them.
   */
  describe('a call run twice', () => {
    /** Everything the reserve script writes for claims of `nowMs`, except the kept answers. */
    async function gateState(batchId: number, nowMs: number) {
      const k = gate.keys(batchId);
      const c = api.redis.client;
      const window = Math.floor(nowMs / gate.limits.windowMs);
      return {
        meta: await c.hgetall(k.meta),
        slots: await c.hgetall(k.slots),
        pending: await c.zrange(k.pending, 0, -1, 'WITHSCORES'),
        rateCitizens: await c.hgetall(k.rateCitizens(window)),
        rateIps: await c.hgetall(k.rateIps(window)),
        perSecond: await c.get(k.perSecond(Math.floor(nowMs / 1000))),
      };
    }

    const claimsOf = (citizens: number[], nowMs: number, ip: string): ReserveClaim[] =>
      citizens.map((citizenId) => ({ nowMs, citizenId, ip }));

    /** Redis Cluster hashes the part between the first `{` and the next `}`. */
    const hashTag = (key: string) => key.slice(key.indexOf('{') + 1, key.indexOf('}', key.indexOf('{')));

    it('with the same call id (a resend) answers the same and reserves once', async () => {
      const batch = await f.batch({
        quota: 5,
        perCitizenLimit: 1,
        rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 5 }],
      });
      const now = api.clock.nowMs();
      const keys = gate.keys(batch.id);
      // Citizen 1 presses three times (the third over a rate limit of 2), then citizen 2.
      const citizens = [500_001, 500_001, 500_001, 500_002];
      const claims = claimsOf(citizens, now, '10.0.0.5');
      const limits = { ...gate.limits, perCitizen: 2 };
      const callId = randomUUID();

      const first = await reserveManyCall(gate.client, keys, callId, claims, limits);
      const after = await gateState(batch.id, now);
      const again = await reserveManyCall(gate.client, keys, callId, claims, limits);

      expect(again).toEqual(first);
      expect(await gateState(batch.id, now)).toEqual(after);
      const results = first.map(parseReserve);
      expect(results.map((r) => r.kind)).toEqual(['reserved', 'limit_reached', 'rate_limited', 'reserved']);
      // Numbers come back as integers (a ms timestamp among them), -1 as -1.
      expect(first[0]).toEqual(['OK', 1, 1, expect.any(Number), 4, 4, 0, expect.any(Number), -1]);
      expect(first[0][7]).toBeGreaterThan(now);
      expect(results[0]).toMatchObject({ kind: 'reserved', nextRoundOpensAt: null });
      expect((await gate.snapshot(batch.id)).issued).toBe(2);
      expect(after.pending).toHaveLength(2 * 2); // two members, each with its score
      await releaseAll(
        batch.id,
        citizens.map((c, i) => [c, results[i]]),
      );
    });

    it('keeps answers of every shape as they were: round not open (a time), not eligible (an empty reason)', async () => {
      const opensAt = api.clock.nowMs() + HOUR;
      const notOpen = await f.batch({ rounds: [{ opensAt: new Date(opensAt), quota: 1000 }] });
      const closed = await f.batch();
      // A batch that is not claimable and gives no reason.
      await api.redis.client.hset(gate.keys(closed.id).meta, 'ok', '0', 'why', '');
      const now = api.clock.nowMs();
      for (const [batchId, expected] of [
        [notOpen.id, [['NO', opensAt]]],
        [closed.id, [['NE', '']]],
      ] as const) {
        const callId = randomUUID();
        const claims = claimsOf([500_101], now, '10.0.0.6');
        const first = await reserveManyCall(gate.client, gate.keys(batchId), callId, claims, gate.limits);
        expect(first).toEqual(expected);
        expect(await reserveManyCall(gate.client, gate.keys(batchId), callId, claims, gate.limits)).toEqual(
          expected,
        );
      }
    });

    it("with a new call id decides the claims again: they see the first call's reservations", async () => {
      const batch = await f.batch({
        quota: 5,
        perCitizenLimit: 1,
        rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 5 }],
      });
      const now = api.clock.nowMs();
      const keys = gate.keys(batch.id);
      const citizens = [500_201, 500_202];
      const claims = claimsOf(citizens, now, '10.0.0.7');

      const first = (await reserveManyCall(gate.client, keys, randomUUID(), claims, gate.limits)).map(
        parseReserve,
      );
      const second = (await reserveManyCall(gate.client, keys, randomUUID(), claims, gate.limits)).map(
        parseReserve,
      );

      expect(first.map((r) => r.kind)).toEqual(['reserved', 'reserved']);
      expect(second).toEqual([
        { kind: 'limit_reached', limit: 1 },
        { kind: 'limit_reached', limit: 1 },
      ]);
      expect((await gate.snapshot(batch.id)).issued).toBe(2);
      await releaseAll(
        batch.id,
        citizens.map((c, i) => [c, first[i]]),
      );
    });

    it("keeps a call's answers under the batch's hash tag, for a short while", async () => {
      const batch = await f.batch();
      const now = api.clock.nowMs();
      const keys = gate.keys(batch.id);
      const callId = randomUUID();
      const answers = await reserveManyCall(
        gate.client,
        keys,
        callId,
        claimsOf([500_301], now, '10.0.0.8'),
        gate.limits,
      );

      const key = keys.call(callId);
      expect(key).toContain(callId);
      expect(hashTag(key)).toBe(`batch:${batch.id}`);
      expect(hashTag(key)).toBe(hashTag(keys.meta));
      expect(JSON.parse((await api.redis.client.get(key))!)).toEqual(answers);
      const ttl = await api.redis.client.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(RESERVE_CALL_TTL_MS);
      await releaseAll(batch.id, [[500_301, parseReserve(answers[0])]]);
    });

    it('a call ioredis resends after the connection dropped before its reply was read is answered once', async () => {
      const batch = await f.batch({
        quota: 5,
        perCitizenLimit: 1,
        rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 5 }],
      });
      const now = api.clock.nowMs();
      const keys = gate.keys(batch.id);
      const citizens = [500_401, 500_402];
      // A client of its own with the platform's options (ioredis's defaults resend unanswered commands).
      const client = defineGateCommands(new Redis(redisClientOptions(api.config)));
      let reconnects = 0;
      client.on('error', () => undefined);
      client.on('reconnecting', () => (reconnects += 1));
      try {
        await client.ping();
        client.stream.pause(); // the reply stays unread
        const callId = randomUUID();
        const answer = reserveManyCall(
          client,
          keys,
          callId,
          claimsOf(citizens, now, '10.0.0.9'),
          gate.limits,
        );
        // Redis ran the call (its answers are kept), then the connection drops.
        for (let i = 0; i < 200 && !(await api.redis.client.exists(keys.call(callId))); i++) {
          await new Promise((r) => setTimeout(r, 5));
        }
        expect(await api.redis.client.exists(keys.call(callId))).toBe(1);
        client.stream.destroy();

        const results = (await answer).map(parseReserve);
        expect(reconnects).toBeGreaterThanOrEqual(1);
        expect(results.map((r) => r.kind)).toEqual(['reserved', 'reserved']);
        expect((await gate.snapshot(batch.id)).issued).toBe(2);
        expect(await gate.pendingCount(batch.id)).toBe(2);
        await releaseAll(
          batch.id,
          citizens.map((c, i) => [c, results[i]]),
        );
      } finally {
        client.disconnect();
      }
    });
  });
});
