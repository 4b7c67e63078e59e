import { ClaimGate } from '@jinli/claiming';
import { batchCounts, bulkCitizens, claimAll, Factories, HOUR, TestApi } from '@jinli/testing';

describe('claiming under a burst', () => {
  let api: TestApi;
  let f: Factories;
  beforeAll(async () => {
    // Every injected request comes from one address: lift the per-IP limit (tested separately).
    api = await TestApi.start({ env: { CLAIM_RATE_PER_IP: '1000000', CLAIM_RATE_PER_CITIZEN: '1000' } });
    f = await new Factories(api).init();
  });
  afterAll(() => api.close());

  it('2,000 concurrent claims by 2,000 citizens for a quota of 500 give exactly 500 vouchers and 1,500 sold-out answers', async () => {
    const opensAt = new Date(api.clock.nowMs() - HOUR);
    const batch = await f.batch({ quota: 500, rounds: [{ opensAt, quota: 500 }] });
    const citizens = await bulkCitizens(api, 2000);

    const { counts, results } = await claimAll(
      api,
      batch.id,
      citizens.map((c) => c.token),
    );

    expect(counts).toEqual({ claimed: 500, CLAIM_BATCH_SOLD_OUT: 1500 });
    expect(await batchCounts(api, batch.id)).toEqual({
      vouchers: 500,
      issuedCount: 500,
      returnedCount: 0,
      maxPerCitizen: 1,
    });
    // Every 201 names a row that exists, owned by the caller.
    const ids = results.filter((r) => r.status === 201).map((r) => r.body.id);
    expect(new Set(ids).size).toBe(500);
    const [{ n }] = await api.dataSource.query(
      'SELECT count(*)::int AS n FROM voucher WHERE id = ANY($1) AND batch_id = $2',
      [ids, batch.id],
    );
    expect(n).toBe(500);
    // Redis agrees, and nothing is left in flight.
    const gate = api.get(ClaimGate);
    const snap = await gate.snapshot(batch.id);
    expect(snap.issued).toBe(500);
    expect(await gate.pendingCount(batch.id)).toBe(0);
  });

  it('200 concurrent claims by one citizen give exactly their limit', async () => {
    const batch = await f.batch({
      quota: 100,
      perCitizenLimit: 3,
      rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 100 }],
    });
    const citizen = await f.citizen();

    const { counts } = await claimAll(api, batch.id, Array(200).fill(citizen.token));

    expect(counts).toEqual({ claimed: 3, CLAIM_LIMIT_REACHED: 197 });
    const rows = await api.dataSource.query(
      'SELECT slot FROM voucher WHERE batch_id = $1 AND citizen_id = $2 ORDER BY slot',
      [batch.id, citizen.id],
    );
    expect(rows.map((r: { slot: number }) => r.slot)).toEqual([1, 2, 3]);
  });

  it('sells out mixed rounds: several citizens with a limit of 2 never exceed quota or limit', async () => {
    const batch = await f.batch({
      quota: 50,
      perCitizenLimit: 2,
      rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 50 }],
    });
    const citizens = await bulkCitizens(api, 40);
    // Each citizen presses three times at once.
    const tokens = citizens.flatMap((c) => [c.token, c.token, c.token]);

    const { counts } = await claimAll(api, batch.id, tokens);

    expect(counts.claimed).toBe(50);
    const c = await batchCounts(api, batch.id);
    expect(c.vouchers).toBe(50);
    expect(c.maxPerCitizen).toBeLessThanOrEqual(2);
  });

  it('two API processes on one batch give out exactly the quota between them', async () => {
    const second = await TestApi.start({ env: { CLAIM_RATE_PER_IP: '1000000' } });
    try {
      const batch = await f.batch({
        quota: 300,
        rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 300 }],
      });
      const citizens = await bulkCitizens(api, 1000);
      const tokens = citizens.map((c) => c.token);
      const [a, b] = await Promise.all([
        claimAll(api, batch.id, tokens.slice(0, 500)),
        claimAll(second, batch.id, tokens.slice(500)),
      ]);
      expect((a.counts.claimed ?? 0) + (b.counts.claimed ?? 0)).toBe(300);
      expect((a.counts.CLAIM_BATCH_SOLD_OUT ?? 0) + (b.counts.CLAIM_BATCH_SOLD_OUT ?? 0)).toBe(700);
      expect(await batchCounts(api, batch.id)).toMatchObject({
        vouchers: 300,
        issuedCount: 300,
        maxPerCitizen: 1,
      });
    } finally {
      await second.close();
    }
  });
});
