import { ClaimGate } from '@jinli/claiming';
import { batchCounts, Factories, HOUR, insertVoucher, TestApi } from '@jinli/testing';

const claimUrl = (batchId: number) => `/api/v1/claiming/batches/${batchId}/claim`;

/**
 * What a claimant is told when something other than the gate's rules stops a claim: Redis failing
 * (try again, 503), or PostgreSQL refusing a row Redis let through (the same refusal, with the same
 * details, as if the gate had said it). Real PostgreSQL and Redis.
 */
describe('claim answers when Redis fails or PostgreSQL refuses', () => {
  let api: TestApi;
  let f: Factories;
  let gate: ClaimGate;
  beforeAll(async () => {
    api = await TestApi.start({ now: '2020-07-04T01:00:00Z', env: { CLAIM_RATE_PER_IP: '1000000' } });
    f = await new Factories(api).init();
    gate = api.get(ClaimGate);
  });
  afterAll(() => api.close());

  it('a failed gate call is 503 UNAVAILABLE (try again), and nothing is claimed', async () => {
    const batch = await f.batch({
      quota: 5,
      rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 5 }],
    });
    const citizen = await f.citizen();
    // A real error inside Redis: this window's per-citizen rate hash is a string (WRONGTYPE).
    const rateKey = gate.keys(batch.id).rateCitizens(Math.floor(api.clock.nowMs() / gate.limits.windowMs));
    await api.redis.client.set(rateKey, 'not a hash');
    try {
      const answer = await api.request('POST', claimUrl(batch.id), { token: citizen.token });
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({ code: 'UNAVAILABLE', message: expect.stringMatching(/try again/) });
    } finally {
      await api.redis.client.del(rateKey);
    }
    expect(await batchCounts(api, batch.id)).toMatchObject({ vouchers: 0, issuedCount: 0 });
    expect((await gate.snapshot(batch.id)).issued).toBe(0);

    const retry = await api.request('POST', claimUrl(batch.id), { token: citizen.token });
    expect(retry.status).toBe(201);
  });

  it('a slot PostgreSQL already holds: CLAIM_LIMIT_REACHED with the limit, the reservation given back', async () => {
    const batch = await f.batch({
      quota: 5,
      perCitizenLimit: 1,
      rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 5 }],
    });
    const [{ id: roundId }] = (await api.dataSource.query('SELECT id FROM claim_round WHERE batch_id = $1', [
      batch.id,
    ])) as { id: number }[];
    const citizen = await f.citizen();
    // Written behind the gate's back: Redis still thinks the citizen holds nothing.
    await insertVoucher(api.dataSource, {
      batchId: batch.id,
      roundId,
      citizenId: citizen.id,
      at: api.clock.now(),
    });

    const answer = await api.request('POST', claimUrl(batch.id), { token: citizen.token });
    expect(answer.status).toBe(409);
    expect(answer.body).toEqual({
      code: 'CLAIM_LIMIT_REACHED',
      message: expect.any(String),
      details: { limit: 1 },
    });
    expect(await batchCounts(api, batch.id)).toMatchObject({ vouchers: 1, issuedCount: 1 });
    expect(await gate.pendingCount(batch.id)).toBe(0);
  });

  it('a round PostgreSQL counts as full: CLAIM_ROUND_SOLD_OUT with the round and when the next one opens', async () => {
    const now = api.clock.nowMs();
    const batch = await f.batch({
      quota: 5,
      rollOverUnclaimed: false,
      rounds: [
        { opensAt: new Date(now - HOUR), quota: 2 },
        { opensAt: new Date(now + HOUR), quota: 3 },
      ],
    });
    const [{ id: roundId }] = (await api.dataSource.query(
      'SELECT id FROM claim_round WHERE batch_id = $1 AND seq = 1',
      [batch.id],
    )) as { id: number }[];
    for (let i = 0; i < 2; i++) {
      const c = await f.citizen();
      await insertVoucher(api.dataSource, {
        batchId: batch.id,
        roundId,
        citizenId: c.id,
        at: api.clock.now(),
      });
    }
    const citizen = await f.citizen();

    const answer = await api.request('POST', claimUrl(batch.id), { token: citizen.token });
    expect(answer.status).toBe(409);
    expect(answer.body).toEqual({
      code: 'CLAIM_ROUND_SOLD_OUT',
      message: expect.any(String),
      details: {
        serverTime: new Date(now).toISOString(),
        round: 1,
        nextRoundOpensAt: new Date(now + HOUR).toISOString(),
      },
    });
    expect(await batchCounts(api, batch.id)).toMatchObject({ vouchers: 2, issuedCount: 2 });
    expect(await gate.pendingCount(batch.id)).toBe(0);
  });
});

describe('a claim that waited too long to be written', () => {
  let api: TestApi;
  let f: Factories;
  let gate: ClaimGate;
  beforeAll(async () => {
    // Grace 10 s: a claim not written within 2.5 s of its start is refused. One insert at a time.
    api = await TestApi.start({
      now: '2020-07-04T01:00:00Z',
      env: { CLAIM_RATE_PER_IP: '1000000', CLAIM_RECONCILE_GRACE_S: '10', CLAIM_WRITER_CONCURRENCY: '1' },
    });
    f = await new Factories(api).init();
    gate = api.get(ClaimGate);
  });
  afterAll(() => api.close());

  it('is refused with 503 before its row is sent, and its reservation comes back at once', async () => {
    const batch = await f.batch({
      quota: 5,
      rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 5 }],
    });
    const [first, second] = [await f.citizen(), await f.citizen()];
    // Hold the batch row: the first claim's insert waits, the second claim waits behind it.
    const blocker = api.dataSource.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query('SELECT id FROM voucher_batch WHERE id = $1 FOR UPDATE', [batch.id]);
    let answers: { status: number; body: any }[];
    try {
      const a = api.request('POST', claimUrl(batch.id), { token: first.token });
      await new Promise((r) => setTimeout(r, 200));
      const b = api.request('POST', claimUrl(batch.id), { token: second.token });
      await new Promise((r) => setTimeout(r, 3000));
      await blocker.commitTransaction();
      answers = await Promise.all([a, b]);
    } finally {
      if (blocker.isTransactionActive) await blocker.rollbackTransaction();
      await blocker.release();
    }
    // The first insert was sent in time: PostgreSQL commits it whenever the lock frees.
    expect(answers[0].status).toBe(201);
    expect(answers[1].status).toBe(503);
    expect(answers[1].body).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/in time/) });
    expect(await batchCounts(api, batch.id)).toMatchObject({ vouchers: 1, issuedCount: 1 });
    await new Promise((r) => setTimeout(r, 50)); // the confirmation runs after the answer
    expect(await gate.pendingCount(batch.id)).toBe(0);
    expect((await gate.snapshot(batch.id)).issued).toBe(1);

    const retry = await api.request('POST', claimUrl(batch.id), { token: second.token });
    expect(retry.status).toBe(201);
  });
});

describe('a Redis that stops answering', () => {
  let api: TestApi;
  let f: Factories;
  beforeAll(async () => {
    api = await TestApi.start({
      now: '2020-07-04T01:00:00Z',
      env: { CLAIM_RATE_PER_IP: '1000000', REDIS_COMMAND_TIMEOUT_MS: '300' },
    });
    f = await new Factories(api).init();
  });
  afterAll(() => api.close());

  it('gets a claim answered 503 after REDIS_COMMAND_TIMEOUT_MS instead of holding it', async () => {
    const batch = await f.batch({
      quota: 5,
      rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 5 }],
    });
    const citizen = await f.citizen();
    expect((await api.request('POST', claimUrl(batch.id), { token: (await f.citizen()).token })).status).toBe(
      201,
    );
    // Redis holds every write command (scripts included) for 5 s: as if the connection hung.
    const other = api.redis.client.duplicate({ commandTimeout: undefined });
    try {
      await other.call('CLIENT', 'PAUSE', '5000', 'WRITE');
      const pausedAt = Date.now();
      const answer = await api.request('POST', claimUrl(batch.id), { token: citizen.token });
      // Answered while Redis still holds the gate's call: the claim was not kept waiting for it.
      expect(Date.now() - pausedAt).toBeLessThan(5000);
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/try again/) });
    } finally {
      await other.call('CLIENT', 'UNPAUSE');
      other.disconnect();
    }
    expect(await batchCounts(api, batch.id)).toMatchObject({ vouchers: 1, issuedCount: 1 });
  });
});
