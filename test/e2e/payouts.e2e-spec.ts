import { Role } from '@jinli/contracts';
import { Actor } from '@jinli/platform';
import { BatchView } from '@jinli/issuing';
import { SETTLEMENT_CHECKS, SettlementRunService } from '@jinli/settlement';
import { Factories, MerchantFixture, SettlementFactories, TestApi } from '@jinli/testing';
import { formatReport, runAudit } from '../../scripts/audit/registry';

const at = (day: string, time = '12:00') => new Date(`${day}T${time}:00+08:00`);
const S = '/api/v1/settlement';

interface Statement {
  id: number;
  merchantId: number;
  funderId: number;
  businessDay: string;
  status: string;
  totalFen: number;
  payoutId: number | null;
}

/**
 * Payouts after review: a selection never leaves a claw-back out, negative nets are reported as
 * owed, four eyes on payment, cancelling and failed transfers, masked account numbers. Business days
 * of this file are in May 2022 (other files use other months). Each test has its own campaign, so
 * its own funders (the audit is scoped to them).
 */
describe('payouts (HTTP)', () => {
  let api: TestApi;
  let f: Factories;
  let sf: SettlementFactories;
  // Tokens are issued at the (moving) test clock: each request gets a fresh one.
  const staff = (actor: () => Actor) => ({
    get actor() {
      return actor();
    },
    get token() {
      return f.token(actor());
    },
  });
  let actors: Awaited<ReturnType<SettlementFactories['payoutTeam']>>;
  const starter = staff(() => actors.starter);
  const reviewer = staff(() => actors.reviewer);
  const payer = staff(() => actors.payer);
  const confirmer = staff(() => actors.confirmer);
  const auditor = staff(() => actors.auditor);

  beforeAll(async () => {
    api = await TestApi.start({ now: at('2022-05-01', '09:00') });
    f = await new Factories(api).init();
    sf = new SettlementFactories(api, f);
    actors = await sf.payoutTeam();
  });
  afterAll(() => api.close());

  const post = (url: string, body: object, token: string) => api.request('POST', url, { token, body });
  const get = (url: string, token?: string) => api.request('GET', url, { token: token ?? auditor.token });

  /** A new campaign (two new funders, 70/30 of a 30-yuan discount: 2100 + 900) and its batch. */
  async function scene(): Promise<{ batch: BatchView; city: number; district: number }> {
    const batch = await f.batch({ faceValueFen: 3000, thresholdFen: 10000 });
    const funders = (await api.dataSource.query(
      `SELECT funder_id AS id FROM campaign_funder WHERE campaign_id = $1 ORDER BY share_bp DESC`,
      [batch.campaignId],
    )) as { id: number }[];
    return { batch, city: funders[0].id, district: funders[1].id };
  }

  /** Settles one ended day (a run started by `starter`) and approves what it made for `merchants`. */
  async function settleAndApprove(day: string, merchants: MerchantFixture[]): Promise<Statement[]> {
    const runs = api.get(SettlementRunService);
    const run = await runs.start(starter.actor, { fromDay: day, toDay: day });
    await runs.runNow(run.id);
    const made = (await statements(merchants)).filter((s) => s.businessDay === day);
    const approved = await post(`${S}/statements/approve`, { ids: made.map((s) => s.id) }, reviewer.token);
    expect(approved.status).toBe(200);
    return statements(merchants).then((all) => all.filter((s) => s.businessDay === day));
  }

  async function statements(merchants: MerchantFixture[]): Promise<Statement[]> {
    return (await api.dataSource.query(
      `SELECT id, merchant_id AS "merchantId", funder_id AS "funderId", business_day AS "businessDay", status,
              total_fen AS "totalFen", payout_id AS "payoutId"
         FROM settlement_statement WHERE merchant_id = ANY($1) AND status NOT IN ('rejected', 'released')
        ORDER BY business_day, merchant_id, funder_id`,
      [merchants.map((m) => m.merchantId)],
    )) as Statement[];
  }

  const violations = async (funderIds: number[]) =>
    (await runAuditFor(funderIds)).filter((c) => c.severity === 'violation' && c.problems.length);
  const runAuditFor = async (funderIds: number[]) => {
    const out: { name: string; severity: string; ok: boolean; problems: string[] }[] = [];
    for (const funderId of funderIds) {
      const res = await get(`${S}/audit?funderId=${funderId}`);
      expect(res.status).toBe(200);
      out.push(...(res.body as typeof out));
    }
    return out;
  };

  it('nets every approved statement of a funder and merchant, whatever was selected: a claw-back is never skipped', async () => {
    api.clock.set(at('2022-05-01', '09:00'));
    const { batch, city, district } = await scene();
    const m = await sf.merchant();
    const r = [];
    for (let i = 0; i < 3; i++) r.push(await sf.redeem({ batch, merchant: m, at: at('2022-05-01') }));
    api.clock.set(at('2022-05-02', '00:30'));
    const day1 = await settleAndApprove('2022-05-01', [m]);
    expect(day1.map((s) => s.totalFen)).toEqual([6300, 2700]);
    // Two of the three are refunded after approval: the next statement claws them back.
    await sf.refund(r[0].id, { at: at('2022-05-02', '10:00') });
    await sf.refund(r[1].id, { at: at('2022-05-02', '11:00') });
    api.clock.set(at('2022-05-03', '00:30'));
    const day2 = await settleAndApprove('2022-05-02', [m]);
    expect(day2.map((s) => s.totalFen)).toEqual([-4200, -1800]);

    // Selecting only the city's positive statement pays its net, with the claw-back, and says so.
    const payout = await post(`${S}/payouts`, { statementIds: [day1[0].id] }, payer.token);
    expect(payout.status).toBe(201);
    expect(payout.body).toMatchObject({
      status: 'exported',
      totalFen: 6300 - 4200,
      statementCount: 2,
      statementIds: [day1[0].id, day2[0].id],
      addedStatementIds: [day2[0].id],
      carriedOver: [],
    });
    const rows = await get(`${S}/payouts/${payout.body.id}/rows`);
    expect(rows.body).toEqual([
      expect.objectContaining({
        funderId: city,
        merchantId: m.merchantId,
        amountFen: 2100,
        status: 'exported',
      }),
    ]);
    // The district's pair was not touched: still approved, outside any payout.
    const after = await statements([m]);
    expect(after.filter((s) => s.funderId === district).map((s) => s.payoutId)).toEqual([null, null]);
    expect(await violations([city, district])).toEqual([]);
  });

  it('carries a negative net over, says so, and reports it as an outstanding claw-back with its age', async () => {
    api.clock.set(at('2022-05-10', '09:00'));
    const { batch, city, district } = await scene();
    const m = await sf.merchant();
    const r = await sf.redeem({ batch, merchant: m, at: at('2022-05-10') });
    api.clock.set(at('2022-05-11', '00:30'));
    const day1 = await settleAndApprove('2022-05-10', [m]);
    const first = await post(`${S}/payouts`, { statementIds: day1.map((s) => s.id) }, payer.token);
    expect(first.status).toBe(201);
    expect(
      (await post(`${S}/payouts/${first.body.id}/paid`, { bankReference: 'ICBC-0510' }, confirmer.token))
        .status,
    ).toBe(200);
    // Refunded after it was paid: the claw-back has nothing left to net with.
    await sf.refund(r.id, { at: at('2022-05-11', '10:00') });
    api.clock.set(at('2022-05-12', '09:00'));
    const claw = await settleAndApprove('2022-05-11', [m]);
    expect(claw.map((s) => s.totalFen)).toEqual([-2100, -900]);

    const refused = await post(`${S}/payouts`, { statementIds: [claw[0].id] }, payer.token);
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      code: 'PAYOUT_NOTHING_TO_PAY',
      details: {
        carriedOver: [
          { funderId: city, merchantId: m.merchantId, netFen: -2100, statementIds: [claw[0].id] },
        ],
      },
    });

    // Eight days later, finance and auditors see what is still owed, and since when.
    api.clock.set(at('2022-05-20', '10:00'));
    const owed = await get(`${S}/clawbacks?merchantId=${m.merchantId}`);
    expect(owed.status).toBe(200);
    const approvedAt = at('2022-05-12', '09:00').toISOString();
    expect(owed.body).toEqual([
      expect.objectContaining({ funderId: city, merchantId: m.merchantId, netFen: -2100, ageDays: 8 }),
      expect.objectContaining({ funderId: district, merchantId: m.merchantId, netFen: -900, ageDays: 8 }),
    ]);
    expect(owed.body[0]).toMatchObject({ statementIds: [claw[0].id], since: approvedAt });
    expect((await get(`${S}/clawbacks?funderId=${city}`, payer.token)).body).toHaveLength(1);
    const cashier = f.token({
      id: m.cashierId,
      role: Role.Cashier,
      merchantId: m.merchantId,
      storeId: m.storeId,
    });
    expect((await get(`${S}/clawbacks`, cashier)).status).toBe(403);

    // The audit warns about it (it does not fail), over HTTP and in `npm run audit`.
    const checks = await runAuditFor([city]);
    const warning = checks.find((c) => c.name === 'settlement.outstanding_clawbacks')!;
    expect(warning).toMatchObject({ severity: 'warning', ok: false });
    expect(warning.problems).toEqual([
      expect.stringContaining(
        `funder ${city} merchant ${m.merchantId}: claw-back of 21.00 yuan (-2100 fen) outstanding for 8 day(s)`,
      ),
    ]);
    expect(checks.filter((c) => c.severity === 'violation' && c.problems.length)).toEqual([]);
    const ctx = {
      dataSource: api.dataSource,
      redis: api.redis.client,
      keyPrefix: api.config.redis.keyPrefix,
      now: api.clock.now(),
    };
    const report = await runAudit(ctx);
    const mine = report.warnings.filter((w) => w.subject === `funder ${city} merchant ${m.merchantId}`);
    expect(mine).toEqual([expect.objectContaining({ check: 'settlement.outstanding_clawbacks' })]);
    expect(report.violations.some((v) => v.check === 'settlement.outstanding_clawbacks')).toBe(false);
    const only = await runAudit(
      ctx,
      SETTLEMENT_CHECKS.filter((c) => c.name === 'settlement.outstanding_clawbacks'),
    );
    expect(only.ok).toBe(true);
    expect(only.checks[0]).toMatchObject({ severity: 'warning', violations: 0 });
    expect(only.checks[0].warnings).toBeGreaterThan(0);
    expect(formatReport(only)).toContain('Warnings (the audit still passes)');
    expect(formatReport(only)).toContain('All invariants hold.');
  });

  it('shows on statement lines the redemptions refunded while their statement awaits review', async () => {
    api.clock.set(at('2022-05-15', '09:00'));
    const { batch, city } = await scene();
    const m = await sf.merchant();
    const kept = await sf.redeem({ batch, merchant: m, at: at('2022-05-15', '11:00') });
    const refunded = await sf.redeem({ batch, merchant: m, at: at('2022-05-15', '12:00') });
    api.clock.set(at('2022-05-16', '00:30'));
    const runs = api.get(SettlementRunService);
    await runs.runNow((await runs.start(starter.actor, { fromDay: '2022-05-15', toDay: '2022-05-15' })).id);
    const refund = await sf.refund(refunded.id, { at: at('2022-05-16', '10:00') });

    const statement = (await statements([m])).find((s) => s.funderId === city)!;
    const view = await get(`${S}/statements/${statement.id}`, reviewer.token);
    expect(view.body).toMatchObject({
      status: 'pending_review',
      reversedPartCount: 1,
      reversedPartFen: 2100,
    });
    const lines = await get(`${S}/statements/${statement.id}/lines`, reviewer.token);
    const byRedemption = (id: number) =>
      lines.body.items.find((l: { redemptionId: number }) => l.redemptionId === id);
    expect(byRedemption(refunded.id)).toMatchObject({
      kind: 'part',
      redemptionStatus: 'reversed',
      reversedSince: at('2022-05-16', '10:00').toISOString(),
      reversingRefundId: refund.id,
    });
    expect(byRedemption(kept.id)).toMatchObject({
      redemptionStatus: 'active',
      reversedSince: null,
      reversingRefundId: null,
    });
    const list = await get(`${S}/statements?merchantId=${m.merchantId}`, reviewer.token);
    expect(list.body.items.map((s: { reversedPartCount: number }) => s.reversedPartCount).sort()).toEqual([
      1, 1,
    ]);
  });

  it('is marked paid by someone other than its creator (four eyes, refusal audited, checked by the database)', async () => {
    api.clock.set(at('2022-05-18', '09:00'));
    const { batch, city, district } = await scene();
    const m = await sf.merchant();
    await sf.redeem({ batch, merchant: m, at: at('2022-05-18') });
    api.clock.set(at('2022-05-19', '00:30'));
    const day = await settleAndApprove('2022-05-18', [m]);
    const payout = await post(`${S}/payouts`, { statementIds: day.map((s) => s.id) }, payer.token);
    const id = payout.body.id as number;

    const own = await post(`${S}/payouts/${id}/paid`, { bankReference: 'ICBC-0519' }, payer.token);
    expect(own.status).toBe(403);
    expect(own.body.code).toBe('PAYOUT_FOUR_EYES');
    expect((await get(`${S}/payouts/${id}`)).body).toMatchObject({ status: 'exported', paidBy: null });
    const denied = (await api.dataSource.query(
      `SELECT actor_id AS "actorId", outcome FROM audit_log WHERE action = 'payout.paid' AND entity_id = $1`,
      [String(id)],
    )) as { actorId: number; outcome: string }[];
    expect(denied).toEqual([{ actorId: payer.actor.id, outcome: 'denied' }]);
    await expect(
      api.dataSource.query(
        `UPDATE payout SET status = 'paid', paid_by = created_by, paid_at = now(), bank_reference = 'X', paid_fen = total_fen
          WHERE id = $1`,
        [id],
      ),
    ).rejects.toMatchObject({ driverError: { constraint: 'ck_payout_four_eyes' } });

    const paid = await post(`${S}/payouts/${id}/paid`, { bankReference: 'ICBC-0519' }, confirmer.token);
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({
      status: 'paid',
      paidBy: confirmer.actor.id,
      paidFen: 3000,
      failedFen: 0,
    });
    // A paid payout is final, in the database too.
    await expect(
      api.dataSource.query(`UPDATE payout SET bank_reference = 'Y' WHERE id = $1`, [id]),
    ).rejects.toThrow(/a paid or cancelled payout is final/);
    expect(await violations([city, district])).toEqual([]);
  });

  it('cancels an exported payout: its statements go back to approved, outside any payout', async () => {
    api.clock.set(at('2022-05-20', '09:00'));
    const { batch, city, district } = await scene();
    const m = await sf.merchant();
    await sf.redeem({ batch, merchant: m, at: at('2022-05-20') });
    api.clock.set(at('2022-05-21', '00:30'));
    const day = await settleAndApprove('2022-05-20', [m]);
    const payout = await post(`${S}/payouts`, { statementIds: day.map((s) => s.id) }, payer.token);
    const id = payout.body.id as number;

    expect((await post(`${S}/payouts/${id}/cancel`, { reason: '金额有误' }, auditor.token)).status).toBe(403);
    const noReason = await post(`${S}/payouts/${id}/cancel`, {}, payer.token);
    expect(noReason.status).toBe(400);
    const cancelled = await post(
      `${S}/payouts/${id}/cancel`,
      { reason: '付款文件有误，作废重出' },
      payer.token,
    );
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      status: 'cancelled',
      cancelledBy: payer.actor.id,
      cancelReason: '付款文件有误，作废重出',
      paidFen: null,
    });
    const back = await statements([m]);
    expect(back.map((s) => [s.status, s.payoutId])).toEqual([
      ['approved', null],
      ['approved', null],
    ]);
    const trail = (await api.dataSource.query(
      `SELECT action, count(*)::int AS n FROM audit_log
        WHERE (entity_type = 'payout' AND entity_id = $1) OR (entity_type = 'settlement_statement' AND entity_id = ANY($2))
        GROUP BY action ORDER BY action`,
      [String(id), day.map((s) => String(s.id))],
    )) as { action: string; n: number }[];
    expect(trail).toEqual(
      expect.arrayContaining([
        { action: 'payout.cancel', n: 1 },
        { action: 'statement.payout_cancelled', n: 2 },
      ]),
    );
    expect((await post(`${S}/payouts/${id}/cancel`, { reason: '再次作废' }, payer.token)).body.code).toBe(
      'PAYOUT_NOT_EXPORTED',
    );
    const pay = await post(`${S}/payouts/${id}/paid`, { bankReference: 'ICBC-0521' }, confirmer.token);
    expect(pay.status).toBe(409);
    expect(pay.body.code).toBe('PAYOUT_NOT_EXPORTED');
    expect((await get(`${S}/payouts/${id}/file.csv`, payer.token)).body.code).toBe('PAYOUT_NOT_EXPORTED');
    await expect(
      api.dataSource.query(`UPDATE payout SET status = 'exported' WHERE id = $1`, [id]),
    ).rejects.toThrow(/a paid or cancelled payout is final/);
    expect(await violations([city, district])).toEqual([]);

    // The next payout takes them again.
    const again = await post(`${S}/payouts`, { statementIds: day.map((s) => s.id) }, payer.token);
    expect(again.body).toMatchObject({ status: 'exported', totalFen: 3000, statementCount: 2 });
  });

  it('pays a payout except the transfers the bank could not make; those go to the next payout', async () => {
    api.clock.set(at('2022-05-25', '09:00'));
    const { batch, city, district } = await scene();
    const paidMerchant = await sf.merchant();
    const failedMerchant = await sf.merchant();
    await sf.redeem({ batch, merchant: paidMerchant, at: at('2022-05-25') });
    for (let i = 0; i < 2; i++) await sf.redeem({ batch, merchant: failedMerchant, at: at('2022-05-25') });
    api.clock.set(at('2022-05-26', '00:30'));
    const day = await settleAndApprove('2022-05-25', [paidMerchant, failedMerchant]);
    const payout = await post(`${S}/payouts`, { statementIds: day.map((s) => s.id) }, payer.token);
    expect(payout.body).toMatchObject({ totalFen: 9000, statementCount: 4 });
    const id = payout.body.id as number;

    const unknown = await post(
      `${S}/payouts/${id}/paid`,
      {
        bankReference: 'ICBC-0526',
        failedRows: [{ funderId: city, merchantId: 999999999, reason: '账户不存在' }],
      },
      confirmer.token,
    );
    expect(unknown.status).toBe(422);
    expect(unknown.body.code).toBe('PAYOUT_ROW_NOT_FOUND');
    const row = { funderId: city, merchantId: failedMerchant.merchantId, reason: '账户不存在' };
    const twice = await post(
      `${S}/payouts/${id}/paid`,
      { bankReference: 'ICBC-0526', failedRows: [row, row] },
      confirmer.token,
    );
    expect(twice.status).toBe(400);
    expect(twice.body.code).toBe('VALIDATION_FAILED');
    expect((await get(`${S}/payouts/${id}`)).body.status).toBe('exported');

    const paid = await post(
      `${S}/payouts/${id}/paid`,
      {
        bankReference: 'ICBC-0526',
        failedRows: [
          { funderId: city, merchantId: failedMerchant.merchantId, reason: '收款账户已销户，银行退回' },
        ],
      },
      confirmer.token,
    );
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({
      status: 'paid',
      totalFen: 9000,
      paidFen: 9000 - 4200,
      failedFen: 4200,
      failedRowCount: 1,
    });
    const after = await statements([paidMerchant, failedMerchant]);
    const of = (merchant: MerchantFixture, funderId: number) =>
      after.find((s) => s.merchantId === merchant.merchantId && s.funderId === funderId)!;
    expect(of(failedMerchant, city)).toMatchObject({ status: 'approved', payoutId: null, totalFen: 4200 });
    expect(of(failedMerchant, district)).toMatchObject({ status: 'paid', payoutId: id });
    expect(of(paidMerchant, city)).toMatchObject({ status: 'paid', payoutId: id });

    const rows = await get(`${S}/payouts/${id}/rows`);
    expect(rows.body).toHaveLength(4);
    expect(rows.body.filter((r: { status: string }) => r.status === 'failed')).toEqual([
      expect.objectContaining({
        funderId: city,
        merchantId: failedMerchant.merchantId,
        amountFen: 4200,
        statementIds: [of(failedMerchant, city).id],
        failureReason: '收款账户已销户，银行退回',
      }),
    ]);
    // The ledger paid only what was paid; the failed transfer is still payable.
    const ledger = (await api.dataSource.query(
      `SELECT account, sum(amount_fen)::bigint AS balance FROM ledger_entry
        WHERE funder_id = $1 AND merchant_id = $2 AND account IN ('bank', 'funder_payable') GROUP BY 1 ORDER BY 1`,
      [city, failedMerchant.merchantId],
    )) as { account: string; balance: number }[];
    expect(ledger).toEqual([{ account: 'funder_payable', balance: -4200 }]);
    const bank = (await api.dataSource.query(
      `SELECT -sum(e.amount_fen)::bigint AS paid FROM ledger_journal j JOIN ledger_entry e ON e.journal_id = j.id
        WHERE j.kind = 'payout_paid' AND j.ref_id = $1 AND e.account = 'bank'`,
      [id],
    )) as { paid: number }[];
    expect(bank[0].paid).toBe(4800);
    expect(await violations([city, district])).toEqual([]);

    const next = await post(`${S}/payouts`, { funderId: city }, payer.token);
    expect(next.body).toMatchObject({ totalFen: 4200, statementIds: [of(failedMerchant, city).id] });
  });

  it('masks bank account numbers in the API; only the finance bank files carry them in full', async () => {
    api.clock.set(at('2022-05-28', '09:00'));
    const { batch } = await scene();
    const m = await sf.merchant();
    await sf.redeem({ batch, merchant: m, at: at('2022-05-28') });
    api.clock.set(at('2022-05-29', '00:30'));
    const day = await settleAndApprove('2022-05-28', [m]);
    const payout = await post(`${S}/payouts`, { statementIds: day.map((s) => s.id) }, payer.token);
    for (const token of [auditor.token, payer.token]) {
      const rows = await get(`${S}/payouts/${payout.body.id}/rows`, token);
      expect(rows.status).toBe(200);
      expect(rows.body.map((r: { bankAccountNo: string }) => r.bankAccountNo)).toEqual([
        '****0123',
        '****0123',
      ]);
      expect(JSON.stringify(rows.body)).not.toContain('6222021234567890123');
    }
    const csv = await get(`${S}/payouts/${payout.body.id}/file.csv`, payer.token);
    expect(csv.status).toBe(200);
    expect(csv.body).toContain('6222021234567890123');
  });
});
