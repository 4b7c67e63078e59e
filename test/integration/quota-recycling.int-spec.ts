import { ClaimGate, QuotaRecyclingService, RecycleExpiredQuotaJob } from '@jinli/claiming';
import { BatchService } from '@jinli/issuing';
import { batchCounts, bulkCitizens, claimAll, Factories, HOUR, TestApi, TestWorker } from '@jinli/testing';

describe('quota recycling', () => {
  let api: TestApi;
  let f: Factories;
  beforeAll(async () => {
    api = await TestApi.start({ now: '2020-07-04T01:00:00Z', env: { CLAIM_RATE_PER_IP: '1000000' } });
    f = await new Factories(api).init();
  });
  afterAll(() => api.close());

  const expire = (batchId: number, n: number) =>
    api.dataSource.query(
      `UPDATE voucher SET status = 'expired', status_changed_at = now()
        WHERE id IN (SELECT id FROM voucher WHERE batch_id = $1 AND status = 'claimed' ORDER BY id LIMIT $2)`,
      [batchId, n],
    );

  it('returns the quota of expired vouchers to the next round that has not closed, once', async () => {
    const now = api.clock.nowMs();
    const batch = await f.batch({
      quota: 6,
      recycleExpired: true,
      rollOverUnclaimed: false,
      rounds: [
        { opensAt: new Date(now - HOUR), quota: 3 },
        { opensAt: new Date(now + HOUR), quota: 3 },
      ],
    });
    const first = await bulkCitizens(api, 3);
    await claimAll(
      api,
      batch.id,
      first.map((c) => c.token),
    );
    await expire(batch.id, 2);

    const report = await api.get(QuotaRecyclingService).recycleExpired({ batchIds: [batch.id] });
    expect(report.vouchers).toBe(2);
    expect(report.batches[0]).toMatchObject({ batchId: batch.id, vouchers: 2, keptForBatch: 0 });
    expect(await batchCounts(api, batch.id)).toMatchObject({ vouchers: 3, issuedCount: 3, returnedCount: 2 });
    const rounds = await api.dataSource.query(
      'SELECT seq, carried_in FROM claim_round WHERE batch_id = $1 ORDER BY seq',
      [batch.id],
    );
    expect(rounds).toEqual([
      { seq: 1, carried_in: 0 },
      { seq: 2, carried_in: 2 },
    ]);
    // Redis knows at once.
    const snap = await api.get(ClaimGate).snapshot(batch.id);
    expect(snap.returned).toBe(2);
    expect(snap.rounds[1].capacity).toBe(5);

    // Counted once: a second run returns nothing more.
    expect((await api.get(QuotaRecyclingService).recycleExpired({ batchIds: [batch.id] })).vouchers).toBe(0);
    // Nor can an operator give the same 2 units to a new round: they are in round 2 already.
    await expect(
      api.get(BatchService).addRound(f.operator, batch.id, { opensAt: new Date(now + 2 * HOUR), quota: 1 }),
    ).rejects.toMatchObject({ code: 'BATCH_ROUNDS_OVER_QUOTA' });

    // Round 2 hands out its 3 plus the 2 returned.
    api.clock.set(now + HOUR);
    const second = await bulkCitizens(api, 7);
    const { counts } = await claimAll(
      api,
      batch.id,
      second.map((c) => c.token),
    );
    expect(counts).toEqual({ claimed: 5, CLAIM_BATCH_SOLD_OUT: 2 });
    expect(await batchCounts(api, batch.id)).toMatchObject({ vouchers: 8, issuedCount: 8, returnedCount: 2 });
    api.clock.set('2020-07-04T01:00:00Z');
  });

  it('keeps the quota with the batch when no later round is left, and leaves batches that do not recycle alone', async () => {
    const now = api.clock.nowMs();
    const recycling = await f.batch({
      quota: 4,
      recycleExpired: true,
      rounds: [{ opensAt: new Date(now - HOUR), quota: 4 }],
    });
    const keeping = await f.batch({ quota: 4, rounds: [{ opensAt: new Date(now - HOUR), quota: 4 }] });
    const citizens = await bulkCitizens(api, 2);
    await claimAll(
      api,
      recycling.id,
      citizens.map((c) => c.token),
    );
    await claimAll(
      api,
      keeping.id,
      citizens.map((c) => c.token),
    );
    await expire(recycling.id, 1);
    await expire(keeping.id, 1);

    const worker = await TestWorker.start(api);
    try {
      await worker.run(RecycleExpiredQuotaJob, {});
    } finally {
      await worker.close();
    }
    expect(await batchCounts(api, recycling.id)).toMatchObject({ returnedCount: 1 });
    expect(await batchCounts(api, keeping.id)).toMatchObject({ returnedCount: 0 });
    const [round] = await api.dataSource.query('SELECT carried_in FROM claim_round WHERE batch_id = $1', [
      recycling.id,
    ]);
    expect(round.carried_in).toBe(0);
  });

  it('keeps a batch editable after a round was added for returned quota', async () => {
    const now = api.clock.nowMs();
    const batch = await f.batch({
      quota: 4,
      recycleExpired: true,
      rounds: [{ opensAt: new Date(now - HOUR), quota: 4 }],
    });
    const citizens = await bulkCitizens(api, 2);
    await claimAll(
      api,
      batch.id,
      citizens.map((c) => c.token),
    );
    await expire(batch.id, 1);
    await api.get(QuotaRecyclingService).recycleExpired({ batchIds: [batch.id] });
    expect(await batchCounts(api, batch.id)).toMatchObject({ returnedCount: 1 });

    // The returned unit goes to a new round: the rounds now hand out 5 on a quota of 4.
    const batches = api.get(BatchService);
    const added = await batches.addRound(f.operator, batch.id, { opensAt: new Date(now + HOUR), quota: 1 });
    expect(added.rounds.map((r) => r.quota)).toEqual([4, 1]);
    const edited = await batches.update(f.operator, batch.id, {
      description: '回收的券',
      version: added.version,
    });
    expect(edited.description).toBe('回收的券');
    // The same capacity still holds the line: the quota cannot drop under what the rounds hand out.
    await expect(batches.update(f.operator, batch.id, { quota: 3 })).rejects.toMatchObject({
      code: 'BATCH_ROUNDS_OVER_QUOTA',
    });
  });
});
