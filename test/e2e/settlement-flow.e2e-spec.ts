import { ReportAggregatesService } from '@jinli/reporting';
import { OutboxProcessor, runSettlementAudit, SettlementRunService } from '@jinli/settlement';
import {
  Factories,
  RedemptionFactories,
  RedemptionScene,
  SettlementFactories,
  TestApi,
} from '@jinli/testing';

const at = (day: string, time: string) => `${day}T${time}:00+08:00`;

/**
 * The whole money trail through the real routes: redemptions and refunds as the till makes them,
 * the outbox into the ledger and the reports, a run, review, a claw-back in the next statement,
 * the payout, and the audit.
 */
describe('settlement of real redemptions (HTTP)', () => {
  let api: TestApi;
  let f: Factories;
  let rf: RedemptionFactories;
  let sf: SettlementFactories;
  let s: RedemptionScene;
  const redemptions: { id: number }[] = [];

  beforeAll(async () => {
    api = await TestApi.start({ now: at('2022-03-01', '12:00') });
    f = await new Factories(api).init();
    rf = new RedemptionFactories(api, f);
    sf = new SettlementFactories(api, f);
    s = await rf.scene();
  });
  afterAll(() => api.close());

  const post = (url: string, body: object, token: string) =>
    api.request('POST', url, { token, body, headers: { 'idempotency-key': rf.key() } });
  const funderIds = async () =>
    (
      (await api.dataSource.query(
        `SELECT funder_id FROM campaign_funder WHERE campaign_id = $1 ORDER BY funder_id`,
        [s.batch.campaignId],
      )) as { funder_id: number }[]
    ).map((r) => r.funder_id);
  const statements = async () =>
    (await api.dataSource.query(
      `SELECT id, business_day AS "businessDay", funder_id AS "funderId", total_fen AS "totalFen", status
         FROM settlement_statement WHERE merchant_id = $1 ORDER BY business_day, funder_id`,
      [s.merchant.id],
    )) as { id: number; businessDay: string; funderId: number; totalFen: number; status: string }[];

  it('redeems at the till, settles T+1, claws back a later refund, pays and balances', async () => {
    const vouchers = [s.voucher, await rf.voucher(s.batch.id), await rf.voucher(s.batch.id)];
    for (const [i, orderAmountFen] of [12000, 15000, 20000].entries()) {
      const res = await post(
        '/api/v1/redemptions',
        { code: rf.code(vouchers[i].id).digits, orderAmountFen, storeId: s.cashier.storeId },
        f.token(s.cashier),
      );
      expect(res.status).toBe(201);
      redemptions.push(res.body);
    }
    await api.get(OutboxProcessor).drain();
    const [city, district] = await funderIds();
    const budget = (await api.dataSource.query(
      `SELECT funder_id AS id, sum(amount_fen)::bigint AS balance FROM ledger_entry
        WHERE account = 'funder_budget' AND funder_id = ANY($1) GROUP BY 1 ORDER BY 1`,
      [[city, district]],
    )) as { id: number; balance: number }[];
    expect(budget.map((b) => b.balance)).toEqual([6300, 2700]);

    // T+1: the daily run settles yesterday; a reviewer approves.
    api.clock.set(at('2022-03-02', '00:30'));
    const runs = api.get(SettlementRunService);
    const daily = await runs.startDaily();
    expect(daily.toDay).toBe('2022-03-01');
    await runs.runNow(daily.id);
    const day1 = await statements();
    expect(day1.map((x) => [x.businessDay, x.totalFen, x.status])).toEqual([
      ['2022-03-01', 6300, 'pending_review'],
      ['2022-03-01', 2700, 'pending_review'],
    ]);
    const reviewer = await sf.finance();
    const approved = await post(
      '/api/v1/settlement/statements/approve',
      { ids: day1.map((x) => x.id) },
      reviewer.token,
    );
    expect(approved.status).toBe(200);

    // A full refund of a settled redemption, and a partial one that keeps the other.
    api.clock.set(at('2022-03-02', '15:00'));
    const full = await post(
      `/api/v1/redemptions/${redemptions[0].id}/refunds`,
      { refundAmountFen: 12000, storeId: s.cashier.storeId },
      f.token(s.cashier),
    );
    expect(full.body).toMatchObject({ outcome: 'reversed_restored' });
    const partial = await post(
      `/api/v1/redemptions/${redemptions[1].id}/refunds`,
      { refundAmountFen: 1000, storeId: s.cashier.storeId },
      f.token(s.cashier),
    );
    expect(partial.body).toMatchObject({ outcome: 'kept' });
    await api.get(OutboxProcessor).drain();

    // The next daily run carries the claw-back, once.
    api.clock.set(at('2022-03-03', '00:30'));
    const next = await runs.startDaily();
    await runs.runNow(next.id);
    await runs.runNow((await runs.startDaily()).id);
    const day2 = (await statements()).filter((x) => x.businessDay === '2022-03-02');
    expect(day2.map((x) => x.totalFen)).toEqual([-2100, -900]);

    const reviewer2 = await sf.finance();
    await post('/api/v1/settlement/statements/approve', { ids: day2.map((x) => x.id) }, reviewer2.token);
    const payout = await post('/api/v1/settlement/payouts', { funderId: city }, reviewer2.token);
    expect(payout.body).toMatchObject({ totalFen: 6300 - 2100, statementCount: 2 });
    // Four eyes: someone other than the payout's creator confirms the bank paid.
    const paid = await post(
      `/api/v1/settlement/payouts/${payout.body.id}/paid`,
      { bankReference: 'SZB-20220303-01' },
      (await sf.finance()).token,
    );
    expect(paid.status).toBe(200);

    const audit = await runSettlementAudit(api.dataSource.manager, {
      funderIds: [city, district],
      now: api.clock.now(),
    });
    // Nothing is owed back either: the district's claw-back (-900) nets with its approved day (+2700).
    for (const check of audit)
      expect({ check: check.name, problems: check.problems }).toEqual({ check: check.name, problems: [] });
    const bank = (await api.dataSource.query(
      `SELECT COALESCE(sum(amount_fen), 0)::bigint AS v FROM ledger_entry WHERE account = 'bank' AND merchant_id = $1`,
      [s.merchant.id],
    )) as { v: number }[];
    expect(bank[0].v).toBe(-4200);

    // The report: three vouchers issued, two live redemptions, 14,000 + 20,000 fen driven.
    await api.get(ReportAggregatesService).refreshClaims(true);
    const auditor = await sf.staff('auditor');
    const report = await api.request(
      'GET',
      `/api/v1/reports/leverage?fromDay=2022-03-01&toDay=2022-03-31&campaignId=${s.batch.campaignId}`,
      { token: auditor.token },
    );
    expect(report.body.totals).toMatchObject({
      issuedFen: 9000,
      claimedCount: 3,
      redemptionCount: 3,
      reversedCount: 1,
      redeemedFen: 6000,
      drivenFen: 34000,
      refundCount: 2,
      refundedFen: 13000,
      leverageOnRedeemed: 5.6667,
      leverageOnIssued: 3.7778,
    });
  });
});
