import { OutboxProcessor, SettlementRunService, StatementService } from '@jinli/settlement';
import { Factories, refusal, SettlementFactories, TestApi } from '@jinli/testing';

const at = (day: string, time = '12:00') => new Date(`${day}T${time}:00+08:00`);

/** The money trail's tables: never deleted, so never truncated either. */
const KEPT = [
  'voucher',
  'redemption',
  'redemption_part',
  'refund',
  'reversal',
  'settlement_statement',
  'statement_line',
  'payout',
  'payout_failed_row',
  'ledger_journal',
  'ledger_entry',
];

/** What the database refuses whoever writes the SQL (business days in September 2021). */
describe('settlement guards in the database', () => {
  let api: TestApi;
  let f: Factories;
  let sf: SettlementFactories;

  beforeAll(async () => {
    api = await TestApi.start({ now: at('2021-09-01', '09:00') });
    f = await new Factories(api).init();
    sf = new SettlementFactories(api, f);
  });
  afterAll(() => api.close());

  /** Runs `sql` in a transaction that is always rolled back, and returns how it was refused. */
  async function refusedInRollback(sql: string, params: unknown[] = []) {
    const runner = api.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      return await refusal(runner.query(sql, params));
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  }

  it('refuses TRUNCATE of every table of the money trail', async () => {
    const batch = await f.batch();
    const m = await sf.merchant();
    await sf.redeem({ batch, merchant: m, at: at('2021-09-01') });
    for (const table of KEPT) {
      const r = await refusedInRollback(`TRUNCATE ${table} CASCADE`);
      expect({ table, code: r.code, message: (r.error as Error).message }).toEqual({
        table,
        code: '0A000',
        message: expect.stringContaining(`TRUNCATE on ${table} is not allowed`),
      });
    }
    const [left] = (await api.dataSource.query(
      `SELECT (SELECT count(*) FROM redemption WHERE merchant_id = $1)::int AS n`,
      [m.merchantId],
    )) as { n: number }[];
    expect(left.n).toBe(1);
  });

  it('refuses to delete redemptions, refunds and ledger rows', async () => {
    const batch = await f.batch();
    const m = await sf.merchant();
    const r = await sf.redeem({ batch, merchant: m, at: at('2021-09-02') });
    const refund = await sf.refund(r.id, { amountFen: 100, at: at('2021-09-02', '13:00') });
    await api.get(OutboxProcessor).drain();
    for (const [sql, params] of [
      [`DELETE FROM refund WHERE id = $1`, [refund.id]],
      [`DELETE FROM redemption WHERE id = $1`, [r.id]],
      [`DELETE FROM ledger_entry WHERE id = (SELECT max(id) FROM ledger_entry)`, []],
      [`DELETE FROM ledger_journal WHERE id = (SELECT max(id) FROM ledger_journal)`, []],
    ] as [string, unknown[]][]) {
      const refused = await refusedInRollback(sql, params);
      expect({ sql, code: refused.code }).toEqual({ sql, code: '0A000' });
    }
  });

  it('never makes a released statement line live again', async () => {
    const batch = await f.batch();
    const m = await sf.merchant();
    await sf.redeem({ batch, merchant: m, at: at('2021-09-03') });
    api.clock.set(at('2021-09-04', '00:30'));
    const runs = api.get(SettlementRunService);
    const starter = (await sf.finance()).actor;
    await runs.runNow((await runs.start(starter, { fromDay: '2021-09-03', toDay: '2021-09-03' })).id);
    const [s] = (await api.dataSource.query(
      `SELECT id FROM settlement_statement WHERE merchant_id = $1 ORDER BY id LIMIT 1`,
      [m.merchantId],
    )) as { id: number }[];
    await api.get(StatementService).reject((await sf.finance()).actor, s.id, '核对有误');
    const [line] = (await api.dataSource.query(
      `SELECT id, released FROM statement_line WHERE statement_id = $1`,
      [s.id],
    )) as { id: number; released: boolean }[];
    expect(line.released).toBe(true);
    await expect(
      api.dataSource.query(`UPDATE statement_line SET released = false WHERE id = $1`, [line.id]),
    ).rejects.toThrow(/a released line never becomes live again/);
    // Releasing stays allowed (live -> released), and setting it again is no change.
    await api.dataSource.query(`UPDATE statement_line SET released = true WHERE id = $1`, [line.id]);
  });

  it('ties a reversal to its part: same funder, merchant and amount; the part keeps its merchant', async () => {
    const batch = await f.batch();
    const m = await sf.merchant();
    const other = await sf.merchant();
    const r = await sf.redeem({ batch, merchant: m, at: at('2021-09-05') });
    const [part, otherPart] = r.parts;
    const [refund] = (await api.dataSource.query(
      `INSERT INTO refund (redemption_id, merchant_id, store_id, cashier_id, refund_amount_fen, order_amount_after_fen,
         outcome, refunded_at, business_day)
       VALUES ($1, $2, $3, $4, 100, 9900, 'kept', $5, '2021-09-05') RETURNING id`,
      [r.id, m.merchantId, m.storeId, m.cashierId, at('2021-09-05', '13:00')],
    )) as { id: number }[];
    const insert = (funderId: number, merchantId: number, amountFen: number) =>
      refusedInRollback(
        `INSERT INTO reversal (redemption_part_id, refund_id, funder_id, merchant_id, business_day, amount_fen, created_at)
         VALUES ($1, $2, $3, $4, '2021-09-05', $5, now())`,
        [part.id, refund.id, funderId, merchantId, amountFen],
      );
    for (const wrong of [
      await insert(part.funderId, m.merchantId, part.amountFen - 1),
      await insert(otherPart.funderId, m.merchantId, part.amountFen),
      await insert(part.funderId, other.merchantId, part.amountFen),
    ])
      expect({ code: wrong.code, constraint: wrong.constraint }).toEqual({
        code: '23514',
        constraint: 'ck_reversal_matches_part',
      });
    // The matching reversal is accepted (rolled back here).
    const runner = api.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      const [ok] = (await runner.query(
        `INSERT INTO reversal (redemption_part_id, refund_id, funder_id, merchant_id, business_day, amount_fen, created_at)
         VALUES ($1, $2, $3, $4, '2021-09-05', $5, now()) RETURNING id`,
        [part.id, refund.id, part.funderId, m.merchantId, part.amountFen],
      )) as { id: number }[];
      expect(ok.id).toBeGreaterThan(0);
      const moved = await refusal(
        runner.query(`UPDATE reversal SET merchant_id = $2 WHERE id = $1`, [ok.id, other.merchantId]),
      );
      expect(moved.constraint).toBe('ck_reversal_matches_part');
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
    const movedPart = await refusedInRollback(`UPDATE redemption_part SET merchant_id = $2 WHERE id = $1`, [
      part.id,
      other.merchantId,
    ]);
    expect((movedPart.error as Error).message).toContain('a part keeps its redemption, merchant and day');
  });
});
