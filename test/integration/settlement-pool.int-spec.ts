import {
  runSettlementAudit,
  SETTLEMENT_AUDIT_CHECKS,
  SettlementRunService,
  StatementService,
} from '@jinli/settlement';
import { Actor } from '@jinli/platform';
import { Factories, MerchantFixture, SettlementFactories, TestApi } from '@jinli/testing';

const at = (day: string, time = '12:00') => new Date(`${day}T${time}:00+08:00`);

/**
 * The daily run leaves nothing behind in the pool, however old: parts of a statement rejected or
 * released long after its day, and days missed while no daily run ran or one failed. Business days
 * in October and November 2021 (other files use other months).
 */
describe('the settlement pool and the daily run', () => {
  let api: TestApi;
  let f: Factories;
  let sf: SettlementFactories;
  let runs: SettlementRunService;
  let starter: Actor;
  let reviewer: Actor;

  beforeAll(async () => {
    api = await TestApi.start({ now: at('2021-10-01', '09:00') });
    f = await new Factories(api).init();
    sf = new SettlementFactories(api, f);
    runs = api.get(SettlementRunService);
    starter = (await sf.finance()).actor;
    reviewer = (await sf.finance()).actor;
  });
  afterAll(() => api.close());

  async function scene() {
    const batch = await f.batch();
    const funderIds = (
      (await api.dataSource.query(
        `SELECT funder_id AS id FROM campaign_funder WHERE campaign_id = $1 ORDER BY funder_id`,
        [batch.campaignId],
      )) as { id: number }[]
    ).map((r) => r.id);
    return { batch, funderIds };
  }

  const liveStatements = async (m: MerchantFixture) =>
    (await api.dataSource.query(
      `SELECT s.id, s.business_day AS "businessDay", s.status, s.run_id AS "runId", s.total_fen AS "totalFen",
              array_agg(l.redemption_part_id ORDER BY l.redemption_part_id) AS parts
         FROM settlement_statement s JOIN statement_line l ON l.statement_id = s.id AND NOT l.released
        WHERE s.merchant_id = $1 AND s.status NOT IN ('rejected', 'released')
        GROUP BY s.id ORDER BY s.id`,
      [m.merchantId],
    )) as {
      id: number;
      businessDay: string;
      status: string;
      runId: number;
      totalFen: number;
      parts: string[];
    }[];

  const violations = async (funderIds: number[]) =>
    (await runSettlementAudit(api.dataSource.manager, { funderIds, now: api.clock.now() }))
      .filter((c) => c.severity === 'violation' && c.problems.length)
      .map((c) => ({ check: c.name, problems: c.problems }));

  it('settles, on their own day, the parts of statements rejected or released after the daily window', async () => {
    api.clock.set(at('2021-10-01', '09:00'));
    const { batch, funderIds } = await scene();
    const m = await sf.merchant();
    const r = await sf.redeem({ batch, merchant: m, at: at('2021-10-01') });
    api.clock.set(at('2021-10-02', '00:30'));
    await runs.runNow((await runs.start(starter, { fromDay: '2021-10-01', toDay: '2021-10-01' })).id);
    const [cityStatement, districtStatement] = await liveStatements(m);

    // Daily runs went on (this one also pins where the next one starts: the day after it).
    api.clock.set(at('2021-10-20', '00:30'));
    await runs.runNow((await runs.startDaily()).id);
    expect(await liveStatements(m)).toHaveLength(2);

    // Nineteen days later (the window is 7): one statement rejected, the other held then released.
    api.clock.set(at('2021-10-20', '10:00'));
    const review = api.get(StatementService);
    await review.reject(reviewer, cityStatement.id, '商户账户待核实');
    await review.hold(reviewer, districtStatement.id, '等待补充材料');
    await review.release(reviewer, districtStatement.id);
    expect(await liveStatements(m)).toEqual([]);

    api.clock.set(at('2021-10-21', '00:30'));
    const daily = await runs.startDaily();
    expect(daily).toMatchObject({ kind: 'daily', fromDay: '2021-10-14', toDay: '2021-10-20' });
    await runs.runNow(daily.id);
    const again = await liveStatements(m);
    expect(again.map((s) => [s.businessDay, s.status, s.runId])).toEqual([
      ['2021-10-01', 'pending_review', daily.id],
      ['2021-10-01', 'pending_review', daily.id],
    ]);
    expect(again.flatMap((s) => s.parts.map(Number)).sort((a, b) => a - b)).toEqual(
      r.parts.map((p) => p.id).sort((a, b) => a - b),
    );
    expect(await violations(funderIds)).toEqual([]);
  });

  it('catches up the days no daily run covered (an outage longer than the window)', async () => {
    api.clock.set(at('2021-10-22', '09:00'));
    const { batch, funderIds } = await scene();
    const m = await sf.merchant();
    const r = await sf.redeem({ batch, merchant: m, at: at('2021-10-22') });
    // No daily run from 10-22 to 11-05; the one of 11-06 reaches back to the day after the last one.
    api.clock.set(at('2021-11-06', '00:30'));
    const daily = await runs.startDaily();
    expect(daily).toMatchObject({ fromDay: '2021-10-21', toDay: '2021-11-05' });
    await runs.runNow(daily.id);
    const settled = await liveStatements(m);
    expect(settled.map((s) => s.businessDay)).toEqual(['2021-10-22', '2021-10-22']);
    expect(settled.flatMap((s) => s.parts.map(Number)).sort((a, b) => a - b)).toEqual(
      r.parts.map((p) => p.id).sort((a, b) => a - b),
    );
    expect(await violations(funderIds)).toEqual([]);
  });

  it('reaches back past a daily run that failed and was never resumed', async () => {
    api.clock.set(at('2021-11-20', '09:00'));
    const { batch, funderIds } = await scene();
    const m = await sf.merchant();
    const r = await sf.redeem({ batch, merchant: m, at: at('2021-11-20') });
    api.clock.set(at('2021-11-21', '00:30'));
    const failed = await runs.startDaily();
    expect(failed.toDay).toBe('2021-11-20');
    // Its first chunk's job gave up before settling anything, and nobody pressed resume.
    const [first] = (await api.dataSource.query(
      `SELECT min(seq) AS seq FROM settlement_chunk WHERE run_id = $1`,
      [failed.id],
    )) as { seq: number }[];
    await runs.markChunkFailed(failed.id, first.seq, 'connection reset');
    expect((await runs.get(failed.id)).status).toBe('failed');
    expect(await liveStatements(m)).toEqual([]);

    // Then eight days without a daily run: the next one reaches back past the failed one's days.
    api.clock.set(at('2021-11-30', '00:30'));
    const daily = await runs.startDaily();
    expect(daily).toMatchObject({ fromDay: '2021-11-06', toDay: '2021-11-29' });
    expect((await runs.runNow(daily.id)).status).toBe('completed');
    const settled = await liveStatements(m);
    expect(settled.map((s) => [s.businessDay, s.runId])).toEqual([
      ['2021-11-20', daily.id],
      ['2021-11-20', daily.id],
    ]);
    expect(settled.flatMap((s) => s.parts.map(Number)).sort((a, b) => a - b)).toEqual(
      r.parts.map((p) => p.id).sort((a, b) => a - b),
    );
    expect(await violations(funderIds)).toEqual([]);
  });

  it('audits a part left in the pool by a completed daily run', async () => {
    api.clock.set(at('2021-11-10', '09:00'));
    const { batch, funderIds } = await scene();
    const m = await sf.merchant();
    const r = await sf.redeem({ batch, merchant: m, at: at('2021-11-10') });
    const check = SETTLEMENT_AUDIT_CHECKS.find(
      (c) => c.name === 'settlement.pool_parts_settled_by_daily_run',
    )!;
    expect(check.severity).toBe('violation');
    const runner = api.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      // A daily run that completed after the part's day without settling it (rolled back afterwards).
      await runner.query(
        `INSERT INTO settlement_run (kind, from_day, to_day, status, created_at, completed_at)
         VALUES ('daily', '2021-11-10', '2021-11-10', 'completed', $1, $1)`,
        [at('2021-11-11', '00:30')],
      );
      const problems = await check.run(runner.manager, funderIds, api.clock.now());
      expect(problems).toEqual(
        r.parts.map((p) =>
          expect.stringContaining(`part ${p.id} (merchant ${m.merchantId}, funder ${p.funderId}`),
        ),
      );
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });
});
