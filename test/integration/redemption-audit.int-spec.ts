import { Factories, RedemptionFactories, TestApi } from '@jinli/testing';
import { REDEMPTION_CHECKS } from '../../scripts/audit/redemption.checks';
import { runAudit } from '../../scripts/audit/registry';

describe('npm run audit: redemption invariants', () => {
  let api: TestApi;
  let f: Factories;
  let rf: RedemptionFactories;

  beforeAll(async () => {
    api = await TestApi.start({ now: '2020-07-10T12:00:00+08:00' });
    f = await new Factories(api).init();
    rf = new RedemptionFactories(api, f);
  });
  afterAll(() => api.close());

  const audit = async (subjects: string[]) => {
    const report = await runAudit(
      { dataSource: api.dataSource, redis: api.redis.client, keyPrefix: api.config.redis.keyPrefix },
      REDEMPTION_CHECKS,
    );
    // The database is shared with other test files: look at this test's rows only.
    return report.violations.filter((v) => subjects.includes(v.subject)).map((v) => v.check);
  };

  it('holds after redemptions and refunds, and reports tampering', async () => {
    const s = await rf.scene();
    const second = await rf.voucher(s.batch.id);
    const redeem = async (voucherId: number) =>
      (
        await api.request('POST', '/api/v1/redemptions', {
          token: s.cashierToken,
          body: { code: rf.code(voucherId).qr, orderAmountFen: 20000, storeId: s.cashier.storeId },
          headers: { 'idempotency-key': rf.key() },
        })
      ).body;
    const r1 = await redeem(s.voucher.id);
    const r2 = await redeem(second.id);
    const refund = await api.request('POST', `/api/v1/redemptions/${r1.id}/refunds`, {
      token: s.cashierToken,
      body: { refundAmountFen: 20000, storeId: s.cashier.storeId },
      headers: { 'idempotency-key': rf.key() },
    });
    expect(refund.body.outcome).toBe('reversed_restored');
    const funders = r2.parts.map((p: { funderId: number }) => `funder ${p.funderId}`);
    const subjects = [
      `voucher ${s.voucher.id}`,
      `voucher ${second.id}`,
      `redemption ${r1.id}`,
      `redemption ${r2.id}`,
      ...funders,
    ];
    expect(await audit(subjects)).toEqual([]);

    await api.dataSource.query(`UPDATE voucher SET status = 'claimed' WHERE id = $1`, [second.id]);
    await api.dataSource.query(`UPDATE funder SET committed_fen = committed_fen + 1 WHERE id = $1`, [
      r2.parts[0].funderId,
    ]);
    await api.dataSource.query(`UPDATE redemption SET discount_fen = discount_fen - 1 WHERE id = $1`, [
      r2.id,
    ]);
    expect((await audit(subjects)).sort()).toEqual(
      [
        'redemption.funder_committed_matches_parts',
        'redemption.parts_sum_to_discount',
        'redemption.voucher_matches_live_redemption',
      ].sort(),
    );
  });
});
