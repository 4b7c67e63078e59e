import { EventEmitter } from 'node:events';
import { QueryRunner } from 'typeorm';
import { ClaimGate, claimKeys, ReconcileClaimsJob } from '@jinli/claiming';
import { batchCounts, bulkCitizens, claimAll, Factories, HOUR, TestApi, TestWorker } from '@jinli/testing';

const claimUrl = (batchId: number) => `/api/v1/claiming/batches/${batchId}/claim`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A pg client as the pool hands it out (processID: its backend; connection.stream: its socket). */
interface PgClient {
  processID: number;
  connection: { stream: { destroy(): void } };
}

/**
 * The connection of a voucher insert breaks while the insert waits for a lock this test holds on
 * the batch row: from PostgreSQL's side (pg_terminate_backend: the insert never commits) or from
 * the API's side (its socket destroyed: the backend goes on and commits). Real PostgreSQL, no mocks.
 */
describe('claiming when the connection of a voucher insert breaks', () => {
  let api: TestApi;
  let worker: TestWorker;
  let f: Factories;
  let gate: ClaimGate;
  /** Every client the pool has handed out (each once). */
  const acquired = new Set<PgClient>();
  const onAcquire = (c: PgClient) => acquired.add(c);
  const clientsOf = (pids: number[]) => [...acquired].filter((c) => pids.includes(c.processID));
  beforeAll(async () => {
    api = await TestApi.start({
      now: '2020-07-04T01:00:00Z',
      // A long window: the claims of one test go into one multi-row insert.
      env: { CLAIM_RATE_PER_IP: '1000000', CLAIM_WRITER_WINDOW_MS: '100' },
    });
    worker = await TestWorker.start(api);
    f = await new Factories(api).init();
    gate = api.get(ClaimGate);
    pool().on('acquire', onAcquire);
  });
  afterAll(async () => {
    pool().off('acquire', onAcquire);
    await worker.close();
    await api.close();
  });

  const pool = () => (api.dataSource.driver as unknown as { master: EventEmitter }).master;

  const oneRound = (quota: number) => ({
    quota,
    rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota }],
  });

  /** Holds the batch row: a voucher insert of that batch waits (foreign key and issued counter). */
  async function lockBatchRow(batchId: number): Promise<QueryRunner> {
    const qr = api.dataSource.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    await qr.query('SELECT id FROM voucher_batch WHERE id = $1 FOR UPDATE', [batchId]);
    return qr;
  }

  /** Backends waiting for a lock while running `statement`. */
  async function waiting(statement: string): Promise<number[]> {
    const rows = (await api.dataSource.query(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database()
          AND wait_event_type = 'Lock' AND position($1 in query) > 0 AND query NOT LIKE '%pg_stat_activity%'`,
      [statement],
    )) as { pid: number }[];
    return rows.map((r) => r.pid);
  }

  /** The waiting backends of `statement` (the voucher insert unless said), once `reserved` claims are queued. */
  async function blockedInserts(
    batchId: number,
    reserved: number,
    statement = 'INSERT INTO voucher',
  ): Promise<number[]> {
    for (let i = 0; i < 400; i++) {
      if ((await waiting(statement)).length > 0 && (await gate.pendingCount(batchId)) === reserved) {
        await sleep(150); // any other insert of these claims would be waiting by now
        return waiting(statement);
      }
      await sleep(25);
    }
    throw new Error(`no ${statement} ever waited for the lock`);
  }

  function tracked<T>(p: Promise<T>): { promise: Promise<T>; done: () => boolean } {
    let settled = false;
    const promise = p.finally(() => {
      settled = true;
    });
    return { promise, done: () => settled };
  }

  it('terminated by PostgreSQL mid-insert: nothing committed, so 503, the reservations come back and a retry gets the voucher', async () => {
    const batch = await f.batch(oneRound(10));
    const citizens = await bulkCitizens(api, 3);
    const tokens = citizens.map((c) => c.token);
    const blocker = await lockBatchRow(batch.id);
    let results: Awaited<ReturnType<typeof claimAll>>;
    try {
      const claims = claimAll(api, batch.id, tokens);
      const pids = await blockedInserts(batch.id, 3);
      // Usually one multi-row insert of the three rows (the window is long); on a slow machine, more.
      expect(pids.length).toBeGreaterThanOrEqual(1);
      await api.dataSource.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
      results = await claims;
    } finally {
      await blocker.rollbackTransaction();
      await blocker.release();
    }
    expect(results.counts).toEqual({ UNAVAILABLE: 3 });
    for (const r of results.results) expect(r.body.message).toMatch(/nothing was claimed/);
    expect(await batchCounts(api, batch.id)).toMatchObject({ vouchers: 0, issuedCount: 0 });
    expect(await gate.pendingCount(batch.id)).toBe(0);
    expect((await gate.snapshot(batch.id)).issued).toBe(0);

    const retry = await claimAll(api, batch.id, tokens);
    expect(retry.counts).toEqual({ claimed: 3 });
    expect(retry.results.map((r) => r.body.slot)).toEqual([1, 1, 1]);
  });

  it('the API loses the connection and the rows commit anyway: 201 with the vouchers, reservations confirmed', async () => {
    const batch = await f.batch(oneRound(10));
    const citizens = await bulkCitizens(api, 3);
    const blocker = await lockBatchRow(batch.id);
    let results: Awaited<ReturnType<typeof claimAll>>;
    try {
      const claims = tracked(
        claimAll(
          api,
          batch.id,
          citizens.map((c) => c.token),
        ),
      );
      const pids = await blockedInserts(batch.id, 3);
      expect(pids.length).toBeGreaterThanOrEqual(1);
      const victims = clientsOf(pids);
      expect(victims).toHaveLength(pids.length);
      // The network drops under the waiting insert: the API sees its connection end, while the
      // backend holds the whole statement and goes on once the lock is free.
      for (const c of victims) c.connection.stream.destroy();
      await sleep(300);
      // The API does not answer while that backend may still commit.
      expect(claims.done()).toBe(false);
      await blocker.commitTransaction();
      results = await claims.promise;
    } finally {
      if (blocker.isTransactionActive) await blocker.rollbackTransaction();
      await blocker.release();
    }
    expect(results.counts).toEqual({ claimed: 3 });
    const rows = (await api.dataSource.query(
      'SELECT id, citizen_id FROM voucher WHERE batch_id = $1 ORDER BY citizen_id',
      [batch.id],
    )) as { id: number; citizen_id: number }[];
    expect(rows.map((r) => r.citizen_id)).toEqual(citizens.map((c) => c.id).sort((a, b) => a - b));
    for (const [i, c] of citizens.entries()) {
      expect(results.results[i].body).toMatchObject({
        id: rows.find((r) => r.citizen_id === c.id)?.id,
        batchId: batch.id,
        slot: 1,
        status: 'claimed',
      });
    }
    expect(await batchCounts(api, batch.id)).toMatchObject({ vouchers: 3, issuedCount: 3 });
    await sleep(50); // the confirmation runs after the answer
    expect(await gate.pendingCount(batch.id)).toBe(0);
    expect((await gate.snapshot(batch.id)).issued).toBe(3);

    // Each holds the voucher the answer named: a second claim is over the limit, and said so.
    const again = await api.request('POST', claimUrl(batch.id), { token: citizens[0].token });
    expect(again.body.code).toBe('CLAIM_LIMIT_REACHED');
  });

  it('an insert that borrows roll-over quota loses its connection and commits anyway: 201, the quota moved once', async () => {
    const now = api.clock.nowMs();
    // Round 1 left 3 unclaimed; round 2 (open) has 1 of its own: two claims take one unit of round 1.
    const batch = await f.batch({
      quota: 4,
      rounds: [
        { opensAt: new Date(now - 2 * HOUR), quota: 3 },
        { opensAt: new Date(now - HOUR), quota: 1 },
      ],
    });
    const citizens = await bulkCitizens(api, 2);
    const blocker = await lockBatchRow(batch.id);
    let results: Awaited<ReturnType<typeof claimAll>>;
    try {
      const claims = claimAll(
        api,
        batch.id,
        citizens.map((c) => c.token),
      );
      const pids = await blockedInserts(batch.id, 2);
      expect(pids.length).toBeGreaterThanOrEqual(1);
      // The room is made inside the insert statement (its counting trigger), so the backend moves
      // the quota and commits in one go once the lock is free, whatever became of the API's socket.
      for (const c of clientsOf(pids)) c.connection.stream.destroy();
      await sleep(200);
      await blocker.commitTransaction();
      results = await claims;
    } finally {
      if (blocker.isTransactionActive) await blocker.rollbackTransaction();
      await blocker.release();
    }
    expect(results.counts).toEqual({ claimed: 2 });
    expect(await batchCounts(api, batch.id)).toMatchObject({ vouchers: 2, issuedCount: 2 });
    expect(
      await api.dataSource.query(
        'SELECT seq, carried_in, carried_out, issued_count FROM claim_round WHERE batch_id = $1 ORDER BY seq',
        [batch.id],
      ),
    ).toEqual([
      { seq: 1, carried_in: 0, carried_out: 1, issued_count: 0 },
      { seq: 2, carried_in: 1, carried_out: 0, issued_count: 2 },
    ]);
    await sleep(50); // the confirmation runs after the answer
    expect(await gate.pendingCount(batch.id)).toBe(0);
    expect((await gate.snapshot(batch.id)).issued).toBe(2);
  });

  it('when the outcome cannot be learned in time, says so and keeps the reservation for reconciliation', async () => {
    const batch = await f.batch(oneRound(10));
    const [c] = await bulkCitizens(api, 1);
    const blocker = await lockBatchRow(batch.id);
    let answer: { status: number; body: any };
    try {
      const claim = api.request('POST', claimUrl(batch.id), { token: c.token });
      const pids = await blockedInserts(batch.id, 1);
      for (const client of clientsOf(pids)) {
        client.connection.stream.destroy();
      }
      // The backend keeps waiting for the lock longer than the API waits to learn the outcome.
      answer = await claim;
    } finally {
      await blocker.commitTransaction();
      await blocker.release();
    }
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ code: 'UNAVAILABLE', details: { outcome: 'unknown' } });
    // Not released: the row may exist (here it did commit once the lock was free).
    const k = claimKeys(api.config.redis.keyPrefix, batch.id);
    expect(await gate.pendingCount(batch.id)).toBe(1);
    expect(await api.redis.client.hexists(k.slots, `${c.id}:1`)).toBe(1);
    for (let i = 0; (await batchCounts(api, batch.id)).vouchers === 0; i++) {
      if (i > 200) throw new Error('the interrupted insert never committed');
      await sleep(25);
    }
    expect((await gate.snapshot(batch.id)).issued).toBe(1);

    api.clock.advance(api.config.claiming.reconcileGraceS * 1000 + 1000);
    await worker.run(ReconcileClaimsJob, {});
    expect(await gate.pendingCount(batch.id)).toBe(0);
    expect((await gate.snapshot(batch.id)).issued).toBe(1);
    expect(await batchCounts(api, batch.id)).toMatchObject({ vouchers: 1, issuedCount: 1 });
    api.clock.set('2020-07-04T01:00:00Z');
    const again = await api.request('POST', claimUrl(batch.id), { token: c.token });
    expect(again.body.code).toBe('CLAIM_LIMIT_REACHED');
  });
});
