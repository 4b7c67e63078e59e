import { Factories, RedemptionFactories, TestApi } from '@jinli/testing';

const URL = '/api/v1/redemptions';

/**
 * Concurrent scans against the real PostgreSQL: the guarded update and uq_redemption_live_voucher
 * decide, and Idempotency-Key answers are stored with the effect they describe.
 */
describe('redemption under concurrency', () => {
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
  const committed = async (campaignId: number) =>
    (
      await q(
        `SELECT f.committed_fen FROM funder f JOIN campaign_funder cf ON cf.funder_id = f.id
          WHERE cf.campaign_id = $1 ORDER BY f.id`,
        [campaignId],
      )
    ).map((r) => r.committed_fen);

  it.each([
    ['', {}],
    [', naming one order', { orderRef: 'POS-CONC-1' }],
  ])(
    '50 concurrent redeems of one voucher with distinct keys give exactly one redemption%s',
    async (_, extra) => {
      const s = await rf.scene();
      const code = rf.code(s.voucher.id).digits;
      const results = await Promise.all(
        Array.from({ length: 50 }, () =>
          api.request('POST', URL, {
            token: s.cashierToken,
            body: { code, orderAmountFen: 12800, storeId: s.cashier.storeId, ...extra },
            headers: { 'idempotency-key': rf.key() },
          }),
        ),
      );
      const ok = results.filter((r) => r.status === 201);
      expect(ok).toHaveLength(1);
      for (const r of results.filter((x) => x.status !== 201)) {
        expect(r.status).toBe(409);
        expect(r.body.code).toBe('VOUCHER_ALREADY_REDEEMED');
      }
      expect(await q(`SELECT id FROM redemption WHERE voucher_id = $1`, [s.voucher.id])).toHaveLength(1);
      expect(
        await q(`SELECT id FROM redemption_part WHERE redemption_id = $1`, [ok[0].body.id]),
      ).toHaveLength(2);
      expect(await committed(s.batch.campaignId)).toEqual([2100, 900]);
      const events = await q(
        `SELECT id FROM outbox_event WHERE topic = 'redemption.created' AND aggregate_id = $1`,
        [String(ok[0].body.id)],
      );
      expect(events).toHaveLength(1);
    },
  );

  it('50 concurrent redeems with the same key give one effect and the same answer', async () => {
    const s = await rf.scene();
    const key = rf.key();
    const body = { code: rf.code(s.voucher.id).qr, orderAmountFen: 12800, storeId: s.cashier.storeId };
    const send = () =>
      api.request('POST', URL, { token: s.cashierToken, body, headers: { 'idempotency-key': key } });
    const results = await Promise.all(Array.from({ length: 50 }, send));
    const ok = results.filter((r) => r.status === 201);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of ok) expect(r.body).toEqual(ok[0].body);
    // Arrivals while the first was still running are told so, with no effect.
    for (const r of results.filter((x) => x.status !== 201)) {
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    }
    // Their retries get the stored answer: identical responses for all 50.
    const retries = await Promise.all(Array.from({ length: 50 }, send));
    for (const r of retries) {
      expect(r.status).toBe(201);
      expect(r.body).toEqual(ok[0].body);
    }
    expect(await q(`SELECT id FROM redemption WHERE voucher_id = $1`, [s.voucher.id])).toHaveLength(1);
    expect(await committed(s.batch.campaignId)).toEqual([2100, 900]);
    const audits = await q(
      `SELECT id FROM audit_log WHERE action = 'redemption.create' AND entity_type = 'redemption' AND entity_id = $1`,
      [String(ok[0].body.id)],
    );
    expect(audits).toHaveLength(1);
  });

  it('concurrent redemptions across a campaign keep the funders exact and never overspend a budget', async () => {
    const s = await rf.scene();
    // Room for exactly 5 redemptions of 3000 fen at 70/30 on the first funder (2100 each).
    await q(
      `UPDATE funder SET budget_fen = 5 * 2100 WHERE id = (SELECT min(funder_id) FROM campaign_funder WHERE campaign_id = $1)`,
      [s.batch.campaignId],
    );
    const merchant = s.merchant;
    const vouchers = await rf.vouchers(
      s.batch.id,
      await Promise.all(Array.from({ length: 12 }, async () => (await f.citizen()).id)),
    );
    const results = await Promise.all(
      vouchers.map((v) =>
        api.request('POST', URL, {
          token: s.cashierToken,
          body: { code: rf.code(v.id).digits, orderAmountFen: 12800, storeId: s.cashier.storeId },
          headers: { 'idempotency-key': rf.key() },
        }),
      ),
    );
    const ok = results.filter((r) => r.status === 201);
    expect(ok).toHaveLength(5);
    for (const r of results.filter((x) => x.status !== 201))
      expect(r.body.code).toBe('FUNDER_BUDGET_EXHAUSTED');
    expect(await committed(s.batch.campaignId)).toEqual([5 * 2100, 5 * 900]);
    const [sum] = await q(
      `SELECT COALESCE(sum(p.amount_fen), 0)::bigint AS total FROM redemption_part p JOIN redemption r ON r.id = p.redemption_id
        WHERE r.merchant_id = $1 AND r.status = 'active'`,
      [merchant.id],
    );
    expect(Number(sum.total)).toBe(5 * 3000);
  });

  it.each([
    ['expired', 'VOUCHER_EXPIRED'],
    ['void', 'VOUCHER_VOID'],
  ])(
    'tells the till the voucher became %s between the read and the write, with no effect',
    async (status, code) => {
      const s = await rf.scene();
      const before = await committed(s.batch.campaignId);
      // Another transaction holds the voucher's row: the redeem reads the facts (no lock), then its
      // guarded update waits for the row.
      const other = api.dataSource.createQueryRunner();
      await other.connect();
      try {
        await other.startTransaction();
        await other.query(`SELECT id FROM voucher WHERE id = $1 FOR UPDATE`, [s.voucher.id]);
        const answer = api.request('POST', URL, {
          token: s.cashierToken,
          body: { code: rf.code(s.voucher.id).digits, orderAmountFen: 12800, storeId: s.cashier.storeId },
          headers: { 'idempotency-key': rf.key() },
        });
        for (let waited = 0; ; waited += 20) {
          const [w] = await q(
            `SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%redeem_voucher%'`,
          );
          if (w.n > 0) break;
          if (waited > 10_000) throw new Error('the redeem never waited for the voucher row');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        // The expiry job (or an operator's void) gets there first.
        await other.query(`UPDATE voucher SET status = $2, status_changed_at = now() WHERE id = $1`, [
          s.voucher.id,
          status,
        ]);
        await other.commitTransaction();
        const r = await answer;
        expect(r.status).toBe(422);
        expect(r.body.code).toBe(code);
      } finally {
        if (other.isTransactionActive) await other.rollbackTransaction();
        await other.release();
      }
      expect(await q(`SELECT id FROM redemption WHERE voucher_id = $1`, [s.voucher.id])).toHaveLength(0);
      expect(await committed(s.batch.campaignId)).toEqual(before);
    },
  );
});
