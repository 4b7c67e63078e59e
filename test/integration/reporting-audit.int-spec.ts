import { ReportAggregatesService } from '@jinli/reporting';
import { OutboxProcessor } from '@jinli/settlement';
import { Factories, RedemptionFactories, TestApi } from '@jinli/testing';
import { runAudit } from '../../scripts/audit/registry';
import { REPORTING_CHECKS } from '../../scripts/audit/reporting.checks';

describe('npm run audit: report aggregates match their base tables', () => {
  let api: TestApi;
  let f: Factories;
  let rf: RedemptionFactories;

  beforeAll(async () => {
    api = await TestApi.start({ now: '2020-07-10T12:00:00+08:00' });
    f = await new Factories(api).init();
    rf = new RedemptionFactories(api, f);
  });
  afterAll(() => api.close());

  const audit = async () => {
    const report = await runAudit(
      { dataSource: api.dataSource, redis: api.redis.client, keyPrefix: api.config.redis.keyPrefix },
      REPORTING_CHECKS,
    );
    expect(report.checks[0].error).toBeUndefined();
    return report.violations;
  };
  const pending = async () =>
    Number(
      (
        (await api.dataSource.query(`SELECT count(*) AS n FROM outbox_event WHERE published_at IS NULL`)) as {
          n: string;
        }[]
      )[0].n,
    );

  it('holds after redemptions and refunds, also with outbox rows not yet applied; reports a tampered row until a rebuild', async () => {
    const aggregates = api.get(ReportAggregatesService);
    // Other test files share this database (some write redemptions without outbox rows): start even.
    await aggregates.rebuild();
    expect(await audit()).toEqual([]);

    const s = await rf.scene();
    const storeId = s.cashier.storeId;
    const redeem = async (voucherId: number, orderAmountFen: number) =>
      (
        await api.request('POST', '/api/v1/redemptions', {
          token: s.cashierToken,
          body: { code: rf.code(voucherId).qr, orderAmountFen, storeId },
          headers: { 'idempotency-key': rf.key() },
        })
      ).body as { id: number };
    const refund = async (redemptionId: number, refundAmountFen: number) =>
      (
        await api.request('POST', `/api/v1/redemptions/${redemptionId}/refunds`, {
          token: s.cashierToken,
          body: { refundAmountFen, storeId },
          headers: { 'idempotency-key': rf.key() },
        })
      ).body as { outcome: string };

    const r1 = await redeem(s.voucher.id, 20000);
    const r2 = await redeem((await rf.voucher(s.batch.id)).id, 25000);
    await redeem((await rf.voucher(s.batch.id)).id, 30001);
    expect(await pending()).toBeGreaterThanOrEqual(3);
    expect(await audit()).toEqual([]);

    // A partial refund that keeps the order above 满100 (kept: an amendment), and a full one (reversed).
    expect((await refund(r1.id, 5000)).outcome).toBe('kept');
    expect((await refund(r2.id, 25000)).outcome).toMatch(/^reversed/);
    expect(await audit()).toEqual([]);
    await api.get(OutboxProcessor).drain();
    expect(await pending()).toBe(0);
    expect(await audit()).toEqual([]);

    // One more redemption left pending while a row is tampered with: only that row is reported.
    await redeem((await rf.voucher(s.batch.id)).id, 40000);
    await api.dataSource.query(
      `UPDATE rpt_redemption_hourly SET net_order_fen = net_order_fen + 1 WHERE campaign_id = $1 AND batch_id = $2`,
      [s.batch.campaignId, s.batch.id],
    );
    const tampered = (
      (await api.dataSource.query(
        `SELECT day::text AS day, hour, district, category, net_order_fen::bigint AS net FROM rpt_redemption_hourly
          WHERE campaign_id = $1 AND batch_id = $2`,
        [s.batch.campaignId, s.batch.id],
      )) as { day: string; hour: number; district: string; category: string; net: string }[]
    )[0];
    const found = await audit();
    expect(found).toEqual([
      expect.objectContaining({
        check: 'reporting.aggregates_match_base',
        subject:
          `rpt_redemption_hourly day=${tampered.day} hour=${tampered.hour} campaign_id=${s.batch.campaignId} ` +
          `batch_id=${s.batch.id} district=${tampered.district} category=${tampered.category}`,
        message: `net_order_fen expected ${Number(tampered.net) - 1}, actual ${tampered.net}`,
      }),
    ]);

    await aggregates.rebuild();
    expect(await audit()).toEqual([]);
    await api.get(OutboxProcessor).drain();
    expect(await audit()).toEqual([]);
  });

  it('compares claims of the days no longer recounted, and reports a tampered one until a rebuild', async () => {
    const aggregates = api.get(ReportAggregatesService);
    api.clock.set(new Date('2020-07-20T12:00:00+08:00'));
    const s = await rf.scene();
    await rf.voucher(s.batch.id);
    // Two days later the claims of the 20th are final (the job recounts from yesterday on).
    api.clock.set(new Date('2020-07-22T12:00:00+08:00'));
    await aggregates.refreshClaims();
    expect(await audit()).toEqual([]);
    await api.dataSource.query(
      `UPDATE rpt_claim_hourly SET issued_fen = issued_fen + 1 WHERE campaign_id = $1 AND batch_id = $2`,
      [s.batch.campaignId, s.batch.id],
    );
    const found = await audit();
    expect(found).toEqual([
      expect.objectContaining({
        subject: `rpt_claim_hourly day=2020-07-20 hour=12 campaign_id=${s.batch.campaignId} batch_id=${s.batch.id}`,
        message: `issued_fen expected ${2 * s.batch.faceValueFen}, actual ${2 * s.batch.faceValueFen + 1}`,
      }),
    ]);
    await aggregates.rebuild();
    expect(await audit()).toEqual([]);
  });
});
