import { ClaimIneligibleReason } from '@jinli/contracts';
import {
  ClaimGate,
  claimKeys,
  ReconcileClaimsJob,
  ReconcileReport,
  ReconciliationService,
} from '@jinli/claiming';
import { BatchView } from '@jinli/issuing';
import { bulkCitizens, Factories, HOUR, TestApi, TestWorker } from '@jinli/testing';

const claimUrl = (batchId: number) => `/api/v1/claiming/batches/${batchId}/claim`;

/**
 * A change whose refresh of the gate was missed (the domain event's handler failed, or the process
 * died after the commit): reconciliation compares the gate's rules with PostgreSQL and repairs them.
 * Every change below is made in PostgreSQL directly, so no event fires and no refresh happens.
 */
describe('reconciliation repairs rules the gate missed', () => {
  let api: TestApi;
  let worker: TestWorker;
  let f: Factories;
  let gate: ClaimGate;
  let reconciliation: ReconciliationService;
  beforeAll(async () => {
    api = await TestApi.start({ now: '2020-07-04T01:00:00Z', env: { CLAIM_RATE_PER_IP: '1000000' } });
    worker = await TestWorker.start(api);
    f = await new Factories(api).init();
    gate = api.get(ClaimGate);
    reconciliation = worker.app.get(ReconciliationService);
  });
  afterAll(async () => {
    await worker.close();
    await api.close();
  });
  afterEach(() => api.clock.set('2020-07-04T01:00:00Z'));

  const oneRound = (quota: number) => ({
    quota,
    rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota }],
  });

  const claim = async (batchId: number, token: string) => {
    const r = await api.request('POST', claimUrl(batchId), { token });
    return { status: r.status, code: r.body?.code as string | undefined, details: r.body?.details };
  };

  const meta = (batchId: number) =>
    api.redis.client.hgetall(claimKeys(api.config.redis.keyPrefix, batchId).meta);

  /** A batch loaded in the gate, with one voucher claimed. */
  const loadedBatch = async (overrides: Parameters<Factories['batch']>[0] = {}): Promise<BatchView> => {
    const batch = await f.batch({ ...oneRound(10), ...overrides });
    const [c] = await bulkCitizens(api, 1);
    expect((await claim(batch.id, c.token)).status).toBe(201);
    return batch;
  };

  const changes: [string, (b: BatchView) => string, ClaimIneligibleReason][] = [
    [
      'its campaign ended',
      (b) =>
        `UPDATE campaign SET status = 'ended' WHERE id = ${b.campaignId};
         UPDATE voucher_batch SET status = 'ended' WHERE campaign_id = ${b.campaignId}`,
      ClaimIneligibleReason.CampaignEnded,
    ],
    [
      'it ended',
      (b) => `UPDATE voucher_batch SET status = 'ended' WHERE id = ${b.id}`,
      ClaimIneligibleReason.BatchEnded,
    ],
    [
      'its campaign was paused',
      (b) => `UPDATE campaign SET status = 'paused' WHERE id = ${b.campaignId}`,
      ClaimIneligibleReason.CampaignPaused,
    ],
    [
      'it was paused',
      (b) => `UPDATE voucher_batch SET status = 'paused' WHERE id = ${b.id}`,
      ClaimIneligibleReason.BatchPaused,
    ],
  ];

  it.each(changes)(
    'the scheduled run makes a batch unclaimable when %s without a refresh',
    async (_, sql, reason) => {
      const batch = await loadedBatch();
      await api.dataSource.query(sql(batch));
      const [stale, late] = await bulkCitizens(api, 2);
      // The gate still has the old rules: the claim goes through.
      expect((await claim(batch.id, stale.token)).status).toBe(201);
      expect(await meta(batch.id)).toMatchObject({ ok: '1', why: '' });

      // Every batch, as the worker's schedule runs it: ended ones must be among them.
      const report = (await worker.run(ReconcileClaimsJob, {})) as ReconcileReport;
      expect(report.refreshed).toContain(batch.id);
      expect(report.rebuilt).not.toContain(batch.id);

      expect(await meta(batch.id)).toMatchObject({ ok: '0', why: reason, issued: '2' });
      expect(await claim(batch.id, late.token)).toEqual({
        status: 403,
        code: 'CLAIM_NOT_ELIGIBLE',
        details: { reason },
      });
    },
  );

  it('an ended batch whose counters are not in Redis is left alone', async () => {
    const batch = await loadedBatch();
    await api.redis.client.del(claimKeys(api.config.redis.keyPrefix, batch.id).meta);
    await api.dataSource.query(`UPDATE voucher_batch SET status = 'ended' WHERE id = $1`, [batch.id]);
    const report = await reconciliation.reconcile();
    expect(report.rebuilt).not.toContain(batch.id);
    expect(await gate.isLoaded(batch.id)).toBe(false);
  });

  it('a raised per-citizen limit reaches the gate', async () => {
    const batch = await f.batch(oneRound(10));
    const [c] = await bulkCitizens(api, 1);
    expect((await claim(batch.id, c.token)).status).toBe(201);
    await api.dataSource.query(`UPDATE voucher_batch SET per_citizen_limit = 2 WHERE id = $1`, [batch.id]);
    expect(await claim(batch.id, c.token)).toMatchObject({ status: 409, code: 'CLAIM_LIMIT_REACHED' });

    const report = await reconciliation.reconcile({ batchId: batch.id });
    expect(report).toMatchObject({ refreshed: [batch.id], rebuilt: [], drifted: [] });
    expect((await meta(batch.id)).lim).toBe('2');
    expect(await claim(batch.id, c.token)).toMatchObject({ status: 201 });
  });

  it("a round's changed times reach the gate, and the counters are kept", async () => {
    const now = api.clock.nowMs();
    const batch = await f.batch({
      quota: 10,
      rounds: [
        { opensAt: new Date(now - HOUR), quota: 5 },
        { opensAt: new Date(now + 2 * HOUR), quota: 5 },
      ],
    });
    const [first, stale, late] = await bulkCitizens(api, 3);
    expect((await claim(batch.id, first.token)).status).toBe(201);
    // The operator closed round 1 early.
    await api.dataSource.query(`UPDATE claim_round SET closes_at = $2 WHERE batch_id = $1 AND seq = 1`, [
      batch.id,
      new Date(now - 60_000),
    ]);
    expect((await claim(batch.id, stale.token)).status).toBe(201);

    const report = await reconciliation.reconcile({ batchId: batch.id });
    expect(report).toMatchObject({ refreshed: [batch.id], rebuilt: [], drifted: [] });
    const m = await meta(batch.id);
    expect(m).toMatchObject({ e1: String(now - 60_000), issued: '2', is1: '2' });
    expect(await claim(batch.id, late.token)).toEqual({
      status: 409,
      code: 'CLAIM_ROUND_NOT_OPEN',
      details: { serverTime: new Date(now).toISOString(), opensAt: new Date(now + 2 * HOUR).toISOString() },
    });
  });

  it('changes nothing when the gate matches PostgreSQL', async () => {
    const batch = await loadedBatch();
    const before = await meta(batch.id);
    // A rebuild would write a new `loaded` time.
    api.clock.advance(5_000);
    const report = await reconciliation.reconcile({ batchId: batch.id });
    expect(report).toEqual({
      batches: 1,
      rebuilt: [],
      confirmed: 0,
      released: 0,
      drifted: [],
      refreshed: [],
      unfinished: [],
    });
    expect(await meta(batch.id)).toEqual(before);
  });

  it('leaves the round capacities PostgreSQL moved in a batch that rolls over', async () => {
    const now = api.clock.nowMs();
    const batch = await f.batch({
      quota: 10,
      rollOverUnclaimed: true,
      rounds: [
        { opensAt: new Date(now - 3 * HOUR), closesAt: new Date(now - 2 * HOUR), quota: 5 },
        { opensAt: new Date(now - HOUR), quota: 5 },
      ],
    });
    const [c] = await bulkCitizens(api, 1);
    expect((await claim(batch.id, c.token)).status).toBe(201);
    const before = await meta(batch.id);
    // What claim_round_make_room does when round 2 uses quota round 1 left.
    await api.dataSource.query(`UPDATE claim_round SET carried_out = 2 WHERE batch_id = $1 AND seq = 1`, [
      batch.id,
    ]);
    await api.dataSource.query(`UPDATE claim_round SET carried_in = 2 WHERE batch_id = $1 AND seq = 2`, [
      batch.id,
    ]);
    const report = await reconciliation.reconcile({ batchId: batch.id });
    expect(report).toMatchObject({ refreshed: [], rebuilt: [], drifted: [] });
    expect(await meta(batch.id)).toEqual(before);
  });
});
