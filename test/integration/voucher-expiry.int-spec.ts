import { VoucherExpiryService } from '@jinli/redemption';
import { DAY, Factories, HOUR, RedemptionFactories, TestApi } from '@jinli/testing';

describe('voucher expiry job', () => {
  let api: TestApi;
  let f: Factories;
  let rf: RedemptionFactories;

  beforeAll(async () => {
    api = await TestApi.start({ now: '2020-07-10T12:00:00+08:00' });
    f = await new Factories(api).init();
    rf = new RedemptionFactories(api, f);
  });
  afterAll(() => api.close());

  const q = <T = any>(sql: string, params: unknown[] = []) =>
    api.dataSource.query(sql, params) as Promise<T[]>;

  it('expires claimed vouchers past their validity in chunks, once, and recycles the quota where the batch says so', async () => {
    const recycling = await f.batch({ recycleExpired: true });
    const plain = await f.batch();
    const now = api.clock.nowMs();
    const citizens = await Promise.all(Array.from({ length: 7 }, async () => (await f.citizen()).id));
    const due = await rf.vouchers(recycling.id, citizens.slice(0, 5), {
      validFrom: new Date(now - 2 * DAY),
      validUntil: new Date(now - HOUR),
    });
    const duePlain = await rf.vouchers(plain.id, citizens.slice(5, 6), {
      validFrom: new Date(now - 2 * DAY),
      validUntil: new Date(now),
    });
    const live = await rf.vouchers(recycling.id, citizens.slice(6), {
      validFrom: new Date(now - DAY),
      validUntil: new Date(now + HOUR),
    });
    const used = await rf.voucher(recycling.id, {
      validFrom: new Date(now - 2 * DAY),
      validUntil: new Date(now - HOUR),
    });
    await q(`UPDATE voucher SET status = 'void' WHERE id = $1`, [used.id]);

    const sut = api.get(VoucherExpiryService);
    const first = await sut.expireDue(2);
    expect(first.expired).toBeGreaterThanOrEqual(6);
    expect(first.batchIds).toEqual(expect.arrayContaining([recycling.id, plain.id]));
    expect(first.recycledBatchIds).toContain(recycling.id);
    expect(first.recycledBatchIds).not.toContain(plain.id);

    const status = async (ids: number[]) =>
      (await q(`SELECT status FROM voucher WHERE id = ANY($1::bigint[]) ORDER BY id`, [ids])).map(
        (r) => r.status,
      );
    expect(await status([...due, ...duePlain].map((v) => v.id))).toEqual(Array(6).fill('expired'));
    expect(await status(live.map((v) => v.id))).toEqual(['claimed']);
    expect(await status([used.id])).toEqual(['void']);
    const [changedAt] = await q(`SELECT status_changed_at FROM voucher WHERE id = $1`, [due[0].id]);
    expect(changedAt.status_changed_at).toEqual(api.clock.now());

    // Claiming's QuotaRecyclingService gave the recycling batch's quota back; the other kept it.
    const returned = async (batchId: number) =>
      (await q(`SELECT returned_count FROM voucher_batch WHERE id = $1`, [batchId]))[0].returned_count;
    expect(await returned(recycling.id)).toBe(5);
    expect(await returned(plain.id)).toBe(0);
    const flags = await q(`SELECT quota_returned FROM voucher WHERE id = ANY($1::bigint[]) ORDER BY id`, [
      [...due, ...duePlain].map((v) => v.id),
    ]);
    expect(flags.map((r) => r.quota_returned)).toEqual([true, true, true, true, true, false]);

    const second = await sut.expireDue();
    expect(second).toEqual({ expired: 0, batchIds: [], recycledBatchIds: [] });

    api.clock.advance(2 * HOUR);
    try {
      const third = await sut.expireDue();
      expect(third.expired).toBeGreaterThanOrEqual(1);
      expect(await status(live.map((v) => v.id))).toEqual(['expired']);
    } finally {
      api.clock.advance(-2 * HOUR);
    }
  });
});
