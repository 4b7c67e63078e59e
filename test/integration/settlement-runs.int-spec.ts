import {
  OutboxProcessor,
  PayoutService,
  SettlementHooks,
  SettlementRunService,
  StatementService,
} from '@jinli/settlement';
import { Actor } from '@jinli/platform';
import { Factories, MerchantFixture, SettlementFactories, TestApi, TestQueueWorker } from '@jinli/testing';

/** Business days of this file (other files use other months, so their pools never mix). */
const D1 = '2021-03-01';
const D2 = '2021-03-02';
const D3 = '2021-03-03';
const at = (day: string, time = '12:00') => new Date(`${day}T${time}:00+08:00`);

interface StatementRow {
  id: number;
  merchantId: number;
  funderId: number;
  businessDay: string;
  status: string;
  totalFen: number;
  lineCount: number;
  runId: number;
}

describe('settlement runs', () => {
  let api: TestApi;
  let f: Factories;
  let sf: SettlementFactories;
  let runs: SettlementRunService;
  let finance: Actor;
  let reviewer: Actor;

  beforeAll(async () => {
    api = await TestApi.start({ now: at(D1, '09:00') });
    f = await new Factories(api).init();
    sf = new SettlementFactories(api, f);
    runs = api.get(SettlementRunService);
    finance = (await sf.finance()).actor;
    reviewer = (await sf.finance()).actor;
  });
  afterAll(() => api.close());

  async function statementsOf(merchants: MerchantFixture[]): Promise<StatementRow[]> {
    return (await api.dataSource.query(
      `SELECT id, merchant_id AS "merchantId", funder_id AS "funderId", business_day AS "businessDay", status,
              total_fen AS "totalFen", line_count AS "lineCount", run_id AS "runId"
         FROM settlement_statement WHERE merchant_id = ANY($1) ORDER BY merchant_id, funder_id, business_day, id`,
      [merchants.map((m) => m.merchantId)],
    )) as StatementRow[];
  }

  async function liveLines(merchants: MerchantFixture[]) {
    return (await api.dataSource.query(
      `SELECT l.kind, l.redemption_part_id AS "partId", l.reversal_id AS "reversalId", l.amount_fen AS "amountFen",
              s.id AS "statementId", s.business_day AS "businessDay"
         FROM statement_line l JOIN settlement_statement s ON s.id = l.statement_id
        WHERE s.merchant_id = ANY($1) AND NOT l.released ORDER BY l.id`,
      [merchants.map((m) => m.merchantId)],
    )) as {
      kind: string;
      partId: number;
      reversalId: number;
      amountFen: number;
      statementId: number;
      businessDay: string;
    }[];
  }

  async function run(fromDay: string, toDay: string, by: Actor = finance) {
    const started = await runs.start(by, { fromDay, toDay });
    return runs.runNow(started.id);
  }

  it('builds one statement per merchant, funder and day; running again changes nothing', async () => {
    api.clock.set(at(D1, '09:00'));
    const batch = await f.batch({ faceValueFen: 3000, thresholdFen: 10000 });
    const m1 = await sf.merchant();
    const m2 = await sf.merchant();
    // Two days of redemptions at two merchants; shares 70/30 of a 30-yuan discount: 2100 + 900.
    for (const day of [D1, D2]) {
      for (let i = 0; i < 3; i++)
        await sf.redeem({ batch, merchant: m1, orderAmountFen: 12000, at: at(day) });
      await sf.redeem({ batch, merchant: m2, at: at(day, '21:30') });
    }
    api.clock.set(at(D3, '01:00'));
    const first = await run(D1, D2);
    expect(first.status).toBe('completed');
    const after1 = await statementsOf([m1, m2]);
    expect(after1).toHaveLength(8); // 2 merchants x 2 funders x 2 days
    expect(after1.every((s) => s.status === 'pending_review')).toBe(true);
    const m1d1 = after1.filter((s) => s.merchantId === m1.merchantId && s.businessDay === D1);
    expect(m1d1.map((s) => [s.totalFen, s.lineCount]).sort()).toEqual([
      [2700, 3],
      [6300, 3],
    ]);

    const second = await run(D1, D2);
    expect(second.status).toBe('completed');
    expect(await statementsOf([m1, m2])).toEqual(after1);
    // Re-running a chunk that already committed is a no-op as well.
    const again = await runs.settleChunk(first.id, 0);
    expect(again.skipped).toBe(true);
    expect(await statementsOf([m1, m2])).toEqual(after1);
  });

  it('leaves out a refunded redemption never settled, and its reversal', async () => {
    api.clock.set(at('2021-03-10', '09:00'));
    const batch = await f.batch();
    const m = await sf.merchant();
    const kept = await sf.redeem({ batch, merchant: m, at: at('2021-03-10') });
    const refunded = await sf.redeem({ batch, merchant: m, at: at('2021-03-10') });
    const refund = await sf.refund(refunded.id, { at: at('2021-03-10', '15:00') });
    expect(refund.reversals).toHaveLength(2);
    api.clock.set(at('2021-03-11', '01:00'));
    await run('2021-03-10', '2021-03-10');
    const lines = await liveLines([m]);
    expect(lines.map((l) => l.partId).sort()).toEqual(kept.parts.map((p) => p.id).sort());
    expect(lines.some((l) => l.kind === 'reversal')).toBe(false);
    // Even after the statement is approved, the never-settled reversal stays out.
    const statements = await statementsOf([m]);
    await api.get(StatementService).approve(
      reviewer,
      statements.map((s) => s.id),
    );
    api.clock.set(at('2021-03-12', '01:00'));
    await run('2021-03-11', '2021-03-11');
    expect((await liveLines([m])).some((l) => l.kind === 'reversal')).toBe(false);
  });

  it('claws back a refund after settlement with exactly one reversal line, in the next statement only', async () => {
    api.clock.set(at('2021-04-01', '09:00'));
    const batch = await f.batch();
    const m = await sf.merchant();
    const r = await sf.redeem({ batch, merchant: m, at: at('2021-04-01') });
    api.clock.set(at('2021-04-02', '00:30'));
    await run('2021-04-01', '2021-04-01');
    const day1 = await statementsOf([m]);
    expect(day1).toHaveLength(2);

    // Refunded on 04-02 while its statement is still under review: not clawed back yet.
    await sf.refund(r.id, { at: at('2021-04-02', '10:00') });
    api.clock.set(at('2021-04-03', '00:30'));
    await run('2021-04-02', '2021-04-02');
    expect((await liveLines([m])).filter((l) => l.kind === 'reversal')).toHaveLength(0);

    // Approved (money owed): the next run carries one negative line per part, and only one.
    await api.get(StatementService).approve(
      reviewer,
      day1.map((s) => s.id),
    );
    api.clock.set(at('2021-04-04', '00:30'));
    await run('2021-04-03', '2021-04-03');
    await run('2021-04-03', '2021-04-03');
    const reversals = (await liveLines([m])).filter((l) => l.kind === 'reversal');
    expect(reversals).toHaveLength(2);
    expect(reversals.every((l) => l.businessDay === '2021-04-03')).toBe(true);
    expect(reversals.map((l) => l.amountFen).sort((a, b) => a - b)).toEqual(
      r.parts.map((p) => -p.amountFen).sort((a, b) => a - b),
    );
    const next = (await statementsOf([m])).filter((s) => s.businessDay === '2021-04-03');
    expect(next.map((s) => s.totalFen).sort((a, b) => a - b)).toEqual(
      r.parts.map((p) => -p.amountFen).sort((a, b) => a - b),
    );
    // Later runs never carry it again.
    api.clock.set(at('2021-04-06', '00:30'));
    await run('2021-04-04', '2021-04-05');
    expect((await liveLines([m])).filter((l) => l.kind === 'reversal')).toHaveLength(2);

    // Selecting only the claw-back still nets it with the day it claws back (approved, unpaid): it
    // nets to zero, so the statements close with no transfer in the bank file.
    const payouts = api.get(PayoutService);
    await api.get(StatementService).approve(
      reviewer,
      next.map((s) => s.id),
    );
    const payout = await payouts.create(reviewer, { statementIds: next.map((s) => s.id) });
    expect(payout).toMatchObject({ totalFen: 0, statementCount: 4, carriedOver: [] });
    expect(payout.addedStatementIds).toEqual(day1.map((s) => s.id).sort((a, b) => a - b));
    expect(await payouts.rows(payout.id)).toEqual([]);
    await payouts.markPaid(finance, payout.id, 'NO-TRANSFER-0001');
    expect((await statementsOf([m])).filter((s) => s.status === 'paid')).toHaveLength(4);
  });

  it('settles a rejected statement’s lines, and a released held one’s, in a later run', async () => {
    api.clock.set(at('2021-05-01', '09:00'));
    const batch = await f.batch();
    const m = await sf.merchant();
    const r = await sf.redeem({ batch, merchant: m, at: at('2021-05-01') });
    api.clock.set(at('2021-05-02', '00:30'));
    await run('2021-05-01', '2021-05-01');
    const [a, b] = await statementsOf([m]);
    const svc = api.get(StatementService);
    await expect(svc.reject(reviewer, a.id, ' ')).rejects.toMatchObject({
      code: 'STATEMENT_REASON_REQUIRED',
    });
    const rejected = await svc.reject(reviewer, a.id, '账户信息待核实');
    expect(rejected).toMatchObject({ status: 'rejected', reason: '账户信息待核实', reviewedBy: reviewer.id });
    const held = await svc.hold(reviewer, b.id, '等待商户补充材料');
    expect(held.status).toBe('held');
    // Held lines stay on their statement; rejected ones are back in the pool.
    expect((await liveLines([m])).map((l) => l.statementId)).toEqual([b.id]);
    await expect(svc.reject(reviewer, b.id, 'x1')).rejects.toMatchObject({
      code: 'STATEMENT_INVALID_TRANSITION',
    });
    const released = await svc.release(reviewer, b.id);
    expect(released).toMatchObject({ status: 'released', reason: '等待商户补充材料' });
    expect(await liveLines([m])).toHaveLength(0);

    api.clock.set(at('2021-05-03', '00:30'));
    await run('2021-05-01', '2021-05-02');
    const all = await statementsOf([m]);
    const live = all.filter((s) => s.status === 'pending_review');
    expect(live).toHaveLength(2);
    expect(live.every((s) => s.businessDay === '2021-05-01')).toBe(true);
    expect((await liveLines([m])).map((l) => l.partId).sort()).toEqual(r.parts.map((p) => p.id).sort());
  });

  it('refuses ranges that have not ended or are upside down', async () => {
    api.clock.set(at('2021-06-10', '09:00'));
    await expect(runs.start(finance, { fromDay: '2021-06-09', toDay: '2021-06-10' })).rejects.toMatchObject({
      code: 'SETTLEMENT_RANGE_INVALID',
    });
    await expect(runs.start(finance, { fromDay: '2021-06-09', toDay: '2021-06-08' })).rejects.toMatchObject({
      code: 'SETTLEMENT_RANGE_INVALID',
    });
  });

  it('runs the daily T+1 job once per day over its window', async () => {
    api.clock.set(at('2021-07-01', '09:00'));
    const batch = await f.batch();
    const m = await sf.merchant();
    await sf.redeem({ batch, merchant: m, at: at('2021-07-01') });
    api.clock.set(at('2021-07-02', '00:30'));
    const daily = await runs.startDaily();
    expect(daily).toMatchObject({ kind: 'daily', toDay: '2021-07-01', startedBy: null });
    const again = await runs.startDaily();
    expect(again.id).toBe(daily.id);
    await runs.runNow(daily.id);
    expect((await statementsOf([m])).map((s) => s.runId)).toEqual([daily.id, daily.id]);
  });

  describe('with BullMQ workers', () => {
    let worker: TestQueueWorker;
    beforeAll(async () => {
      worker = await TestQueueWorker.start(api, { queues: ['settlement'] });
    });
    afterAll(() => worker.close());

    async function waitForRun(id: number, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const r = await runs.get(id);
        if (r.status !== 'running' || Date.now() > until) return r;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    it('converges with no duplicate line when a worker dies mid-chunk, before or after commit', async () => {
      api.clock.set(at('2021-08-01', '09:00'));
      const batch = await f.batch();
      const merchants: MerchantFixture[] = [];
      for (let i = 0; i < 3; i++) merchants.push(await sf.merchant());
      for (const m of merchants)
        for (let i = 0; i < 4; i++) await sf.redeem({ batch, merchant: m, at: at('2021-08-01') });
      api.clock.set(at('2021-08-02', '00:30'));

      const hooks = worker.get(SettlementHooks);
      const failed: string[] = [];
      hooks.beforeCommit = (runId, seq) => {
        if (!failed.includes(`before-${seq}`)) {
          failed.push(`before-${seq}`);
          throw new Error('worker died before commit');
        }
      };
      hooks.afterCommit = (runId, seq) => {
        if (!failed.includes(`after-${seq}`)) {
          failed.push(`after-${seq}`);
          throw new Error('worker died after commit');
        }
      };
      try {
        const started = await runs.start(finance, { fromDay: '2021-08-01', toDay: '2021-08-01' });
        expect(started.chunkCount).toBeGreaterThan(0);
        const done = await waitForRun(started.id);
        expect(done.status).toBe('completed');
        expect(done.chunksDone).toBe(done.chunkCount);
        expect(failed.filter((x) => x.startsWith('before'))).toHaveLength(started.chunkCount);
      } finally {
        hooks.beforeCommit = undefined;
        hooks.afterCommit = undefined;
      }
      const lines = await liveLines(merchants);
      expect(lines).toHaveLength(3 * 4 * 2);
      expect(new Set(lines.map((l) => l.partId)).size).toBe(lines.length);
      const statements = await statementsOf(merchants);
      expect(statements).toHaveLength(6);
      expect(statements.every((s) => s.lineCount === 4)).toBe(true);
    });
  });

  it('keeps the ledger posted from the outbox', async () => {
    const processed = await api.get(OutboxProcessor).drain();
    expect(processed).toBeGreaterThan(0);
    expect(await api.get(OutboxProcessor).pending()).toBe(0);
    const [sum] = (await api.dataSource.query(
      `SELECT COALESCE(sum(amount_fen), 0)::bigint AS total FROM ledger_entry`,
    )) as {
      total: number;
    }[];
    expect(sum.total).toBe(0);
  });
});
