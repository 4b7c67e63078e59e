import {
  ClaimGate,
  claimKeys,
  CounterLoader,
  ReconcileClaimsJob,
  ReconciliationService,
} from '@jinli/claiming';
import { batchCounts, bulkCitizens, claimAll, Factories, HOUR, TestApi, TestWorker } from '@jinli/testing';

const claimUrl = (batchId: number) => `/api/v1/claiming/batches/${batchId}/claim`;

describe('claiming when something breaks', () => {
  let api: TestApi;
  let worker: TestWorker;
  let f: Factories;
  let gate: ClaimGate;
  beforeAll(async () => {
    api = await TestApi.start({ now: '2020-07-04T01:00:00Z', env: { CLAIM_RATE_PER_IP: '1000000' } });
    worker = await TestWorker.start(api);
    f = await new Factories(api).init();
    gate = api.get(ClaimGate);
  });
  afterAll(async () => {
    await worker.close();
    await api.close();
  });

  const oneRound = (quota: number) => ({
    quota,
    rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota }],
  });

  it('after FLUSHDB of its Redis database, rebuilds the counters from PostgreSQL and goes on without overselling', async () => {
    const batch = await f.batch(oneRound(100));
    const early = await bulkCitizens(api, 60);
    expect(
      (
        await claimAll(
          api,
          batch.id,
          early.map((c) => c.token),
        )
      ).counts,
    ).toEqual({ claimed: 60 });

    await api.redis.client.flushdb();

    const late = await bulkCitizens(api, 100);
    // The first 60 again (each already holds one) and 100 newcomers, all at once.
    const { counts } = await claimAll(
      api,
      batch.id,
      [...early, ...late].map((c) => c.token),
    );
    expect(counts).toEqual({ claimed: 40, CLAIM_LIMIT_REACHED: 60, CLAIM_BATCH_SOLD_OUT: 60 });
    expect(await batchCounts(api, batch.id)).toMatchObject({
      vouchers: 100,
      issuedCount: 100,
      maxPerCitizen: 1,
    });
    expect((await gate.snapshot(batch.id)).issued).toBe(100);
  });

  it('releases the reservation when the database write fails, and the others still get their voucher', async () => {
    const batch = await f.batch(oneRound(10));
    const citizens = await bulkCitizens(api, 5);
    const victim = citizens[2];
    // A real failure inside PostgreSQL for one row (no mock): a trigger refusing that citizen.
    await api.dataSource.query(`
      CREATE OR REPLACE FUNCTION test_fail_voucher() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.citizen_id = ${victim.id} THEN RAISE EXCEPTION 'disk on fire'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER tr_test_fail_voucher BEFORE INSERT ON voucher FOR EACH ROW EXECUTE FUNCTION test_fail_voucher();`);
    try {
      const { counts, results } = await claimAll(
        api,
        batch.id,
        citizens.map((c) => c.token),
      );
      expect(counts).toEqual({ claimed: 4, UNAVAILABLE: 1 });
      expect(results[2].status).toBe(503);
    } finally {
      await api.dataSource.query(
        'DROP TRIGGER tr_test_fail_voucher ON voucher; DROP FUNCTION test_fail_voucher();',
      );
    }
    const k = claimKeys(api.config.redis.keyPrefix, batch.id);
    expect((await gate.snapshot(batch.id)).issued).toBe(4);
    expect(await api.redis.client.hexists(k.slots, `${victim.id}:1`)).toBe(0);
    expect(await gate.pendingCount(batch.id)).toBe(0);

    // The quota and the slot came back: the same citizen can claim now.
    const retry = await api.request('POST', claimUrl(batch.id), { token: victim.token });
    expect(retry.status).toBe(201);
    expect(retry.body.slot).toBe(1);
  });

  it('the reconciliation job returns a reservation left without a row, after the grace period', async () => {
    const batch = await f.batch(oneRound(2));
    const [ghost, other, third] = await bulkCitizens(api, 3);
    expect((await api.request('POST', claimUrl(batch.id), { token: other.token })).status).toBe(201);
    // A process reserved and died before writing: the reservation has no row.
    const r = await gate.reserve(batch.id, ghost.id, '10.0.0.1', api.clock.nowMs());
    expect(r.kind).toBe('reserved');
    expect((await api.request('POST', claimUrl(batch.id), { token: third.token })).body.code).toBe(
      'CLAIM_BATCH_SOLD_OUT',
    );

    // Within the grace period nothing is touched (the row could still be on its way).
    api.clock.advance(30_000);
    await worker.run(ReconcileClaimsJob, {});
    expect(await gate.pendingCount(batch.id)).toBe(1);

    api.clock.advance(api.config.claiming.reconcileGraceS * 1000);
    await worker.run(ReconcileClaimsJob, {});
    expect(await gate.pendingCount(batch.id)).toBe(0);
    const snap = await gate.snapshot(batch.id);
    expect(snap.issued).toBe(1);

    // Quota and slot are back: the sold-out flag was dropped and the last voucher can be claimed.
    const again = await api.request('POST', claimUrl(batch.id), { token: third.token });
    expect(again.status).toBe(201);
    expect(await batchCounts(api, batch.id)).toMatchObject({ vouchers: 2 });
    api.clock.set('2020-07-04T01:00:00Z');
  });

  it('the reconciliation job confirms a reservation whose row was committed before its process died', async () => {
    const batch = await f.batch(oneRound(5));
    const [c] = await bulkCitizens(api, 1);
    const r = await gate.reserve(batch.id, c.id, '10.0.0.1', api.clock.nowMs());
    if (r.kind !== 'reserved') throw new Error(r.kind);
    await api.dataSource.query(
      `INSERT INTO voucher (batch_id, round_id, citizen_id, slot, claimed_at, valid_from, valid_until)
       VALUES ($1, $2, $3, 1, $4, $4, $4::timestamptz + interval '1 day')`,
      [batch.id, r.roundId, c.id, api.clock.now()],
    );
    api.clock.advance(api.config.claiming.reconcileGraceS * 1000 + 1000);
    await worker.run(ReconcileClaimsJob, {});
    expect(await gate.pendingCount(batch.id)).toBe(0);
    expect((await gate.snapshot(batch.id)).issued).toBe(1);
    api.clock.set('2020-07-04T01:00:00Z');
  });

  /** Settles within `ms`, or fails the test (instead of hanging with a reconciliation that spins). */
  const within = <T>(ms: number, p: Promise<T>): Promise<T> =>
    Promise.race([
      p,
      new Promise<T>((_, reject) =>
        setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms).unref(),
      ),
    ]);

  it('reconciliation ends and repairs the batch when the counter hash is evicted mid-run while the pending set survives', async () => {
    const batch = await f.batch(oneRound(5));
    const [committed, abandoned, regular] = await bulkCitizens(api, 3);
    expect((await api.request('POST', claimUrl(batch.id), { token: regular.token })).status).toBe(201);
    // One reservation whose row committed before its process died, one whose process died before writing.
    const r = await gate.reserve(batch.id, committed.id, '10.0.0.1', api.clock.nowMs());
    if (r.kind !== 'reserved') throw new Error(r.kind);
    await api.dataSource.query(
      `INSERT INTO voucher (batch_id, round_id, citizen_id, slot, claimed_at, valid_from, valid_until)
       VALUES ($1, $2, $3, 1, $4, $4, $4::timestamptz + interval '1 day')`,
      [batch.id, r.roundId, committed.id, api.clock.now()],
    );
    expect((await gate.reserve(batch.id, abandoned.id, '10.0.0.1', api.clock.nowMs())).kind).toBe('reserved');
    api.clock.advance(api.config.claiming.reconcileGraceS * 1000 + 1000);
    const k = claimKeys(api.config.redis.keyPrefix, batch.id);

    // Hold reconciliation after it found the counters loaded and read the old reservations: it waits
    // for the voucher table while the counter hash goes (an eviction), the pending set stays.
    const blocker = api.dataSource.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    let run: Promise<unknown> | undefined;
    try {
      await blocker.query('LOCK TABLE voucher IN ACCESS EXCLUSIVE MODE');
      run = worker.app.get(ReconciliationService).reconcile({ batchId: batch.id });
      for (let i = 0; ; i++) {
        // Not on the blocker's connection: a transaction sees one snapshot of pg_stat_activity.
        const [w] = (await api.dataSource.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'SELECT citizen_id, slot FROM voucher%'`,
        )) as { n: number }[];
        if (w.n > 0) break;
        if (i > 200) throw new Error('reconciliation never reached the voucher table');
        await new Promise((res) => setTimeout(res, 25));
      }
      await api.redis.client.del(k.meta);
      expect(await gate.pendingCount(batch.id)).toBe(2);
    } finally {
      await blocker.commitTransaction();
      await blocker.release();
    }

    const report = await within(10_000, run);
    expect(report).toMatchObject({ confirmed: 1, released: 1, unfinished: [] });
    expect(await gate.pendingCount(batch.id)).toBe(0);
    expect(await gate.isLoaded(batch.id)).toBe(true);
    const snap = await gate.snapshot(batch.id);
    expect(snap.issued).toBe(2);
    expect((await batchCounts(api, batch.id)).issuedCount).toBe(2);
    expect(await api.redis.client.hexists(k.slots, `${committed.id}:1`)).toBe(1);
    expect(await api.redis.client.hexists(k.slots, `${abandoned.id}:1`)).toBe(0);
    // The released slot and quota are usable again.
    expect((await api.request('POST', claimUrl(batch.id), { token: abandoned.token })).status).toBe(201);
    api.clock.set('2020-07-04T01:00:00Z');
  });

  it('reconciliation stops, and says so, when a pass cannot settle its old reservations', async () => {
    const batch = await f.batch(oneRound(5));
    const k = claimKeys(api.config.redis.keyPrefix, batch.id);
    const [c] = await bulkCitizens(api, 1);
    expect((await api.request('POST', claimUrl(batch.id), { token: c.token })).status).toBe(201);
    // An entry no release can remove (not the member a release builds): the same entry every pass.
    await api.redis.client.zadd(k.pending, 1, `${c.id + 1_000_000}:1:1:stray`);
    try {
      const report = await within(
        10_000,
        worker.app.get(ReconciliationService).reconcile({ batchId: batch.id }),
      );
      expect(report.unfinished).toEqual([batch.id]);
      expect((await gate.snapshot(batch.id)).issued).toBe(1);
    } finally {
      await api.redis.client.zrem(k.pending, `${c.id + 1_000_000}:1:1:stray`);
    }
  });

  it('the reconciliation job rebuilds every live batch after Redis lost its data, and counters that drifted', async () => {
    const a = await f.batch(oneRound(5));
    const b = await f.batch(oneRound(5));
    const citizens = await bulkCitizens(api, 3);
    await claimAll(
      api,
      a.id,
      citizens.map((c) => c.token),
    );
    await api.redis.client.flushdb();

    await worker.run(ReconcileClaimsJob, {});
    expect(await gate.isLoaded(a.id)).toBe(true);
    expect(await gate.isLoaded(b.id)).toBe(true);
    expect((await gate.snapshot(a.id)).issued).toBe(3);

    await api.redis.client.hincrby(claimKeys(api.config.redis.keyPrefix, a.id).meta, 'issued', -2);
    await worker.run(ReconcileClaimsJob, {});
    expect((await gate.snapshot(a.id)).issued).toBe(3);
  });

  it('even when Redis is wrong, PostgreSQL refuses the oversell', async () => {
    const batch = await f.batch(oneRound(20));
    const first = await bulkCitizens(api, 20);
    expect(
      (
        await claimAll(
          api,
          batch.id,
          first.map((c) => c.token),
        )
      ).counts,
    ).toEqual({ claimed: 20 });
    // Corrupt the gate: it now believes 10 vouchers are left.
    const k = claimKeys(api.config.redis.keyPrefix, batch.id);
    await api.redis.client.hincrby(k.meta, 'issued', -10);
    await api.redis.client.hincrby(k.meta, 'is1', -10);

    const more = await bulkCitizens(api, 15);
    const { counts } = await claimAll(
      api,
      batch.id,
      more.map((c) => c.token),
    );
    expect(counts.claimed ?? 0).toBe(0);
    expect(await batchCounts(api, batch.id)).toMatchObject({ vouchers: 20, issuedCount: 20 });
  });

  it('throws away counters left by another batch with the same id (a recreated database)', async () => {
    const batch = await f.batch(oneRound(5));
    const k = claimKeys(api.config.redis.keyPrefix, batch.id);
    // What an older database's batch of the same id would have left behind.
    await api.redis.client.hset(k.meta, { born: '1', issued: '5', is1: '5' });
    await api.redis.client.zadd(k.pending, 1, '999999:1:1');

    await api.get(CounterLoader).refresh(batch.id);

    expect((await gate.snapshot(batch.id)).issued).toBe(0);
    expect(await gate.pendingCount(batch.id)).toBe(0);
    const [c] = await bulkCitizens(api, 1);
    expect((await api.request('POST', claimUrl(batch.id), { token: c.token })).status).toBe(201);
  });
});
