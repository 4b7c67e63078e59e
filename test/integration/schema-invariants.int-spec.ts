import { DataSource } from 'typeorm';
import { BatchView } from '@jinli/issuing';
import {
  dbSnapshot,
  Factories,
  HOUR,
  insertRedemption,
  insertVoucher,
  refusal,
  TestApi,
} from '@jinli/testing';

/**
 * The invariants of domain.md that the database itself enforces, whatever code writes to it: each
 * test writes plain SQL, as a buggy service or a hand-run script would, and expects the refusal.
 */
describe('schema invariants (plain SQL against the real PostgreSQL)', () => {
  let api: TestApi;
  let f: Factories;
  let ds: DataSource;

  beforeAll(async () => {
    api = await TestApi.start({ now: '2020-07-10T10:00:00+08:00' });
    f = await new Factories(api).init();
    ds = api.dataSource;
  });
  afterAll(() => api.close());

  const counts = async (batchId: number) => {
    const [b] = (await ds.query(
      `SELECT b.issued_count AS batch, (SELECT count(*)::int FROM voucher v WHERE v.batch_id = b.id) AS vouchers,
              (SELECT array_agg(issued_count ORDER BY seq) FROM claim_round r WHERE r.batch_id = b.id) AS rounds
         FROM voucher_batch b WHERE b.id = $1`,
      [batchId],
    )) as { batch: number; vouchers: number; rounds: number[] }[];
    return b;
  };
  const citizens = async (n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await f.citizen()).id);
    return out;
  };
  const voucherOf = (b: BatchView, citizenId: number, slot = 1, roundIndex = 0) => ({
    batchId: b.id,
    roundId: b.rounds[roundIndex].id,
    citizenId,
    slot,
    at: api.clock.now(),
  });

  describe('a batch never issues more than its quota', () => {
    it('refuses the voucher beyond the quota (ck_batch_issued_within_quota), one insert at a time', async () => {
      const b = await f.batch({
        quota: 3,
        rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 3 }],
      });
      const people = await citizens(4);
      for (const id of people.slice(0, 3)) await insertVoucher(ds, voucherOf(b, id));
      const before = await dbSnapshot(ds);
      const r = await refusal(insertVoucher(ds, voucherOf(b, people[3])));
      expect({ code: r.code, constraint: r.constraint }).toEqual({
        code: '23514',
        constraint: 'ck_batch_issued_within_quota',
      });
      expect(await dbSnapshot(ds)).toEqual(before);
      expect(await counts(b.id)).toEqual({ batch: 3, vouchers: 3, rounds: [3] });
    });

    it('refuses a multi-row insert that would overrun, keeping none of its rows', async () => {
      const b = await f.batch({
        quota: 5,
        rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 5 }],
      });
      const people = await citizens(6);
      const values = people.map(
        (_, i) => `($1, $2, $${i + 4}, 1, $3, $3, $3::timestamptz + interval '7 days')`,
      );
      const before = await dbSnapshot(ds);
      const r = await refusal(
        ds.query(
          `INSERT INTO voucher (batch_id, round_id, citizen_id, slot, claimed_at, valid_from, valid_until) VALUES ${values.join(', ')}`,
          [b.id, b.rounds[0].id, api.clock.now(), ...people],
        ),
      );
      expect(r.constraint).toBe('ck_batch_issued_within_quota');
      expect(await dbSnapshot(ds)).toEqual(before);
      expect(await counts(b.id)).toEqual({ batch: 0, vouchers: 0, rounds: [0] });
    });

    it('refuses a voucher beyond its round quota even when the batch has room (ck_claim_round_issued_within_quota)', async () => {
      // A batch that rolls over lends the round what other rounds left instead (claiming-rounds spec).
      const now = api.clock.nowMs();
      const b = await f.batch({
        quota: 10,
        rollOverUnclaimed: false,
        rounds: [
          { opensAt: new Date(now - HOUR), quota: 2 },
          { opensAt: new Date(now + HOUR), quota: 8 },
        ],
      });
      const people = await citizens(3);
      await insertVoucher(ds, voucherOf(b, people[0]));
      await insertVoucher(ds, voucherOf(b, people[1]));
      const r = await refusal(insertVoucher(ds, voucherOf(b, people[2])));
      expect(r.constraint).toBe('ck_claim_round_issued_within_quota');
      // Round 2 takes it.
      await insertVoucher(ds, voucherOf(b, people[2], 1, 1));
      expect(await counts(b.id)).toEqual({ batch: 3, vouchers: 3, rounds: [2, 1] });
    });

    it('holds under a burst: 30 concurrent inserts into a quota of 10 issue exactly 10', async () => {
      const b = await f.batch({
        quota: 10,
        rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 10 }],
      });
      const people = await citizens(30);
      const results = await Promise.allSettled(people.map((id) => insertVoucher(ds, voucherOf(b, id))));
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      const refusals = results
        .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        .map((r) => (r.reason as { driverError?: { constraint?: string } }).driverError?.constraint);
      expect(ok).toBe(10);
      expect(new Set(refusals)).toEqual(new Set(['ck_batch_issued_within_quota']));
      expect(await counts(b.id)).toEqual({ batch: 10, vouchers: 10, rounds: [10] });
    });

    it('counts quota returned by expired vouchers back in', async () => {
      const b = await f.batch({
        quota: 1,
        rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 1 }],
      });
      const [a, c] = await citizens(2);
      const first = await insertVoucher(ds, voucherOf(b, a));
      expect((await refusal(insertVoucher(ds, voucherOf(b, c)))).constraint).toBe(
        'ck_batch_issued_within_quota',
      );
      await ds.query(`UPDATE voucher SET status = 'expired', quota_returned = true WHERE id = $1`, [first]);
      await ds.query(`UPDATE voucher_batch SET returned_count = 1 WHERE id = $1`, [b.id]);
      await ds.query(`UPDATE claim_round SET carried_in = 1 WHERE id = $1`, [b.rounds[0].id]);
      await insertVoucher(ds, voucherOf(b, c));
      expect(await counts(b.id)).toEqual({ batch: 2, vouchers: 2, rounds: [2] });
    });
  });

  describe('a citizen never holds more than the per-citizen limit', () => {
    it('refuses a slot above the limit (ck_voucher_slot_within_limit) and a slot taken twice (uq_voucher_batch_citizen_slot)', async () => {
      const b = await f.batch({
        quota: 10,
        perCitizenLimit: 2,
        rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 10 }],
      });
      const [c] = await citizens(1);
      await insertVoucher(ds, voucherOf(b, c, 1));
      const before = await dbSnapshot(ds);
      const twice = await refusal(insertVoucher(ds, voucherOf(b, c, 1)));
      expect({ code: twice.code, constraint: twice.constraint }).toEqual({
        code: '23505',
        constraint: 'uq_voucher_batch_citizen_slot',
      });
      const above = await refusal(insertVoucher(ds, voucherOf(b, c, 3)));
      expect({ code: above.code, constraint: above.constraint }).toEqual({
        code: '23514',
        constraint: 'ck_voucher_slot_within_limit',
      });
      expect(await dbSnapshot(ds)).toEqual(before);
      await insertVoucher(ds, voucherOf(b, c, 2));
      expect((await counts(b.id)).batch).toBe(2);
    });
  });

  describe('a voucher is redeemed at most once at a time', () => {
    it('refuses a second live redemption (uq_redemption_live_voucher), also under concurrency, and allows one after a reversal', async () => {
      const b = await f.batch();
      const { merchant, cashiers } = await f.merchant();
      const [c] = await citizens(1);
      const voucherId = await insertVoucher(ds, voucherOf(b, c));
      const redemption = {
        voucherId,
        batchId: b.id,
        campaignId: b.campaignId,
        merchantId: merchant.id,
        storeId: merchant.stores[0].id,
        cashierId: cashiers[0].id,
        citizenId: c,
        at: api.clock.now(),
      };
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => insertRedemption(ds, redemption)),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((x): x is PromiseRejectedResult => x.status === 'rejected')) {
        expect((r.reason as { driverError?: { constraint?: string } }).driverError?.constraint).toBe(
          'uq_redemption_live_voucher',
        );
      }
      const before = await dbSnapshot(ds);
      const again = await refusal(insertRedemption(ds, redemption));
      expect({ code: again.code, constraint: again.constraint }).toEqual({
        code: '23505',
        constraint: 'uq_redemption_live_voucher',
      });
      expect(await dbSnapshot(ds)).toEqual(before);

      await ds.query(
        `UPDATE redemption SET status = 'reversed', reversed_at = $2 WHERE voucher_id = $1 AND status = 'active'`,
        [voucherId, api.clock.now()],
      );
      await insertRedemption(ds, redemption);
      const rows = (await ds.query(`SELECT status FROM redemption WHERE voucher_id = $1 ORDER BY id`, [
        voucherId,
      ])) as { status: string }[];
      expect(rows.map((r) => r.status)).toEqual(['reversed', 'active']);
    });

    it('refuses a second live redemption on one order (uq_redemption_live_order) and a batch allowing two vouchers per order', async () => {
      const b = await f.batch({ perCitizenLimit: 2 });
      const { merchant, cashiers } = await f.merchant();
      const [c1, c2] = await citizens(2);
      const redemption = async (citizenId: number, orderRef: string, slot = 1) => ({
        voucherId: await insertVoucher(ds, voucherOf(b, citizenId, slot)),
        batchId: b.id,
        campaignId: b.campaignId,
        merchantId: merchant.id,
        storeId: merchant.stores[0].id,
        cashierId: cashiers[0].id,
        citizenId,
        at: api.clock.now(),
        orderRef,
      });
      const first = await redemption(c1, 'POS-77');
      const second = await redemption(c2, 'POS-77');
      const id = await insertRedemption(ds, first);
      const before = await dbSnapshot(ds);
      const again = await refusal(insertRedemption(ds, second));
      expect({ code: again.code, constraint: again.constraint }).toEqual({
        code: '23505',
        constraint: 'uq_redemption_live_order',
      });
      expect(await dbSnapshot(ds)).toEqual(before);
      // Another order, or the same one once the first redemption is reversed, is fine.
      await insertRedemption(ds, { ...second, orderRef: 'POS-78' });
      await ds.query(`UPDATE redemption SET status = 'reversed', reversed_at = $2 WHERE id = $1`, [
        id,
        api.clock.now(),
      ]);
      await insertRedemption(ds, await redemption(c1, 'POS-77', 2));

      const vpo = await refusal(
        ds.query(`UPDATE voucher_batch SET vouchers_per_order = 2 WHERE id = $1`, [b.id]),
      );
      expect({ code: vpo.code, constraint: vpo.constraint }).toEqual({
        code: '23514',
        constraint: 'ck_batch_vouchers_per_order',
      });
    });

    it('refuses a redemption at a store of another merchant (fk_redemption_store)', async () => {
      const b = await f.batch();
      const one = await f.merchant();
      const other = await f.merchant();
      const [c] = await citizens(1);
      const voucherId = await insertVoucher(ds, voucherOf(b, c));
      const r = await refusal(
        insertRedemption(ds, {
          voucherId,
          batchId: b.id,
          campaignId: b.campaignId,
          merchantId: one.merchant.id,
          storeId: other.merchant.stores[0].id,
          cashierId: one.cashiers[0].id,
          citizenId: c,
          at: api.clock.now(),
        }),
      );
      expect({ code: r.code, constraint: r.constraint }).toEqual({
        code: '23503',
        constraint: 'fk_redemption_store',
      });
    });
  });

  describe('history is kept', () => {
    it('refuses to delete a voucher or to move it to another owner', async () => {
      const b = await f.batch();
      const [c, d] = await citizens(2);
      const id = await insertVoucher(ds, voucherOf(b, c));
      expect((await refusal(ds.query(`DELETE FROM voucher WHERE id = $1`, [id]))).code).toBe('0A000');
      expect(
        (await refusal(ds.query(`UPDATE voucher SET citizen_id = $2 WHERE id = $1`, [id, d]))).code,
      ).toBe('0A000');
    });

    it('keeps the audit log append-only', async () => {
      await ds.query(`INSERT INTO audit_log (at, action) VALUES (now(), 'test.append')`);
      expect(
        (await refusal(ds.query(`UPDATE audit_log SET action = 'x' WHERE action = 'test.append'`))).code,
      ).toBe('0A000');
      expect((await refusal(ds.query(`DELETE FROM audit_log WHERE action = 'test.append'`))).code).toBe(
        '0A000',
      );
      expect((await refusal(ds.query(`TRUNCATE audit_log`))).code).toBe('0A000');
    });
  });
});
