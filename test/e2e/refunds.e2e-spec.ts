import { VoucherExpiryService } from '@jinli/redemption';
import { DAY, Factories, RedemptionFactories, RedemptionScene, TestApi } from '@jinli/testing';

const URL = '/api/v1/redemptions';

describe('refunds (HTTP)', () => {
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
  const voucher = async (id: number) =>
    (await q(`SELECT status, valid_until FROM voucher WHERE id = $1`, [id]))[0] as {
      status: string;
      valid_until: Date;
    };
  const committed = async (campaignId: number) =>
    (
      await q(
        `SELECT f.committed_fen FROM funder f JOIN campaign_funder cf ON cf.funder_id = f.id
          WHERE cf.campaign_id = $1 ORDER BY f.id`,
        [campaignId],
      )
    ).map((r) => r.committed_fen);

  /** A scene with its voucher redeemed for `orderAmountFen`. */
  async function redeemed(options: Parameters<RedemptionFactories['scene']>[0] = {}, orderAmountFen = 20000) {
    const s = await rf.scene(options);
    const res = await api.request('POST', URL, {
      token: s.cashierToken,
      body: { code: rf.code(s.voucher.id).qr, orderAmountFen, storeId: s.cashier.storeId },
      headers: { 'idempotency-key': rf.key() },
    });
    expect(res.status).toBe(201);
    return { s, redemption: res.body };
  }

  const refund = (
    s: RedemptionScene,
    redemptionId: number,
    refundAmountFen: number,
    extra: { storeId?: number; token?: string; key?: string } = {},
  ) =>
    api.request('POST', `${URL}/${redemptionId}/refunds`, {
      token: extra.token ?? f.token(s.cashier),
      body: { refundAmountFen, storeId: extra.storeId ?? s.cashier.storeId, reason: '无理由退货' },
      headers: { 'idempotency-key': extra.key ?? rf.key() },
    });

  describe('restore_if_valid (the Alipay default)', () => {
    it('a full refund within validity reverses every part and restores the voucher with its original expiry', async () => {
      const { s, redemption } = await redeemed();
      const before = await voucher(s.voucher.id);
      const res = await refund(s, redemption.id, 20000);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        outcome: 'reversed_restored',
        voucherOutcome: 'restored',
        orderAmountAfterFen: 0,
        redemption: { status: 'reversed' },
      });
      const after = await voucher(s.voucher.id);
      expect(after.status).toBe('claimed');
      expect(after.valid_until).toEqual(before.valid_until);
      const reversals = await q(
        `SELECT x.funder_id, x.amount_fen, x.refund_id FROM reversal x JOIN redemption_part p ON p.id = x.redemption_part_id
          WHERE p.redemption_id = $1 ORDER BY x.funder_id`,
        [redemption.id],
      );
      expect(reversals.map((r) => r.amount_fen)).toEqual([2100, 900]);
      expect(reversals.every((r) => r.refund_id === res.body.id)).toBe(true);
      expect(await committed(s.batch.campaignId)).toEqual([0, 0]);
      const [event] = await q(
        `SELECT payload FROM outbox_event WHERE topic = 'redemption.reversed' AND aggregate_id = $1`,
        [String(redemption.id)],
      );
      expect(event.payload).toMatchObject({
        redemptionId: redemption.id,
        refundId: res.body.id,
        netOrderAmountBeforeFen: 20000,
        voucherOutcome: 'restored',
      });
      expect(event.payload.reversals).toHaveLength(2);
      const audit = await q(
        `SELECT outcome FROM audit_log WHERE action = 'refund.create' AND entity_id = $1`,
        [String(redemption.id)],
      );
      expect(audit).toEqual([{ outcome: 'ok' }]);

      // The restored voucher can be used again.
      const again = await api.request('POST', URL, {
        token: s.cashierToken,
        body: { code: rf.code(s.voucher.id).digits, orderAmountFen: 15000, storeId: s.cashier.storeId },
        headers: { 'idempotency-key': rf.key() },
      });
      expect(again.status).toBe(201);
      expect(await committed(s.batch.campaignId)).toEqual([2100, 900]);
    });

    it('a partial refund that keeps the order at or above the threshold keeps the redemption', async () => {
      const { s, redemption } = await redeemed();
      const res = await refund(s, redemption.id, 10000);
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        outcome: 'kept',
        voucherOutcome: null,
        orderAmountAfterFen: 10000,
        redemption: { status: 'active', netOrderAmountFen: 10000 },
      });
      expect((await voucher(s.voucher.id)).status).toBe('redeemed');
      expect(await committed(s.batch.campaignId)).toEqual([2100, 900]);
      const [row] = await q(
        `SELECT net_order_amount_fen, order_amount_fen, status FROM redemption WHERE id = $1`,
        [redemption.id],
      );
      expect(row).toEqual({ net_order_amount_fen: 10000, order_amount_fen: 20000, status: 'active' });
      const [event] = await q(
        `SELECT payload FROM outbox_event WHERE topic = 'redemption.amended' AND aggregate_id = $1`,
        [String(redemption.id)],
      );
      expect(event.payload).toMatchObject({ refundAmountFen: 10000, netOrderAmountAfterFen: 10000 });
      expect(await q(`SELECT id FROM reversal WHERE refund_id = $1`, [res.body.id])).toHaveLength(0);

      // A second partial refund below the threshold now reverses it, and voids the voucher.
      const second = await refund(s, redemption.id, 1);
      expect(second.body).toMatchObject({
        outcome: 'reversed_voided',
        voucherOutcome: 'voided',
        orderAmountAfterFen: 9999,
      });
      expect((await voucher(s.voucher.id)).status).toBe('void');
      expect(await committed(s.batch.campaignId)).toEqual([0, 0]);
    });

    it('a partial refund below the threshold reverses the redemption and voids the voucher', async () => {
      const { s, redemption } = await redeemed();
      const res = await refund(s, redemption.id, 10001);
      expect(res.body).toMatchObject({
        outcome: 'reversed_voided',
        voucherOutcome: 'voided',
        orderAmountAfterFen: 9999,
      });
      expect((await voucher(s.voucher.id)).status).toBe('void');
      expect(await committed(s.batch.campaignId)).toEqual([0, 0]);
    });

    it('a full refund after the voucher expired voids it, and the expiry job leaves it alone', async () => {
      const { s, redemption } = await redeemed();
      const start = api.clock.nowMs();
      try {
        api.clock.advance(8 * DAY);
        await api.get(VoucherExpiryService).expireDue();
        expect((await voucher(s.voucher.id)).status).toBe('redeemed');
        const res = await refund(s, redemption.id, 20000);
        expect(res.status).toBe(201);
        expect(res.body).toMatchObject({
          outcome: 'reversed_voided',
          voucherOutcome: 'voided',
          businessDay: '2020-07-18',
        });
        expect((await voucher(s.voucher.id)).status).toBe('void');
        const [rev] = await q(`SELECT business_day FROM reversal WHERE refund_id = $1 LIMIT 1`, [
          res.body.id,
        ]);
        expect(rev.business_day).toBe('2020-07-18');
      } finally {
        api.clock.set(start);
      }
    });
  });

  describe('void policy', () => {
    it('a full refund voids the voucher even within validity', async () => {
      const { s, redemption } = await redeemed({ batch: { refundPolicy: 'void' } });
      const res = await refund(s, redemption.id, 20000);
      expect(res.body).toMatchObject({ outcome: 'reversed_voided', voucherOutcome: 'voided' });
      expect((await voucher(s.voucher.id)).status).toBe('void');
      expect(await committed(s.batch.campaignId)).toEqual([0, 0]);
    });

    it('a partial refund keeping the threshold keeps the redemption; one below it voids', async () => {
      const { s, redemption } = await redeemed({ batch: { refundPolicy: 'void' } });
      expect((await refund(s, redemption.id, 5000)).body).toMatchObject({
        outcome: 'kept',
        orderAmountAfterFen: 15000,
      });
      expect((await refund(s, redemption.id, 6000)).body).toMatchObject({
        outcome: 'reversed_voided',
        orderAmountAfterFen: 9000,
      });
      expect((await voucher(s.voucher.id)).status).toBe('void');
    });
  });

  it('reverses every part of a redemption already in a settlement statement (settlement nets it later)', async () => {
    const { s, redemption } = await redeemed();
    const [run] = await q(
      `INSERT INTO settlement_run (from_day, to_day) VALUES ('2020-07-10', '2020-07-10') RETURNING id`,
    );
    for (const part of redemption.parts) {
      const [st] = await q(
        `INSERT INTO settlement_statement (run_id, merchant_id, funder_id, business_day, status, total_fen, line_count)
         VALUES ($1, $2, $3, '2020-07-10', 'approved', $4, 1) RETURNING id`,
        [run.id, s.merchant.id, part.funderId, part.amountFen],
      );
      await q(
        `INSERT INTO statement_line (statement_id, kind, redemption_part_id, amount_fen) VALUES ($1, 'part', $2, $3)`,
        [st.id, part.partId, part.amountFen],
      );
    }
    api.clock.advance(DAY);
    try {
      const res = await refund(s, redemption.id, 20000);
      expect(res.status).toBe(201);
      const reversals = await q(
        `SELECT redemption_part_id, amount_fen, business_day FROM reversal WHERE refund_id = $1 ORDER BY funder_id`,
        [res.body.id],
      );
      expect(reversals).toEqual(
        redemption.parts.map((p: any) => ({
          redemption_part_id: p.partId,
          amount_fen: p.amountFen,
          business_day: '2020-07-11',
        })),
      );
    } finally {
      api.clock.advance(-DAY);
    }
  });

  it('refunds at another store of the same merchant, days later ("本地消费异地退")', async () => {
    const { s, redemption } = await redeemed({ merchant: { stores: 2 } });
    api.clock.advance(2 * DAY);
    try {
      const other = s.otherCashiers[0];
      const res = await refund(s, redemption.id, 20000, { token: f.token(other), storeId: other.storeId });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ storeId: other.storeId, outcome: 'reversed_restored' });
    } finally {
      api.clock.advance(-2 * DAY);
    }
  });

  it('lets a cashier of merchant B neither refund at merchant A nor refund its redemptions, and audits both', async () => {
    const { s: a, redemption } = await redeemed();
    const b = await rf.scene();
    const bToken = f.token(b.cashier);
    const atA = await refund(a, redemption.id, 20000, { token: bToken, storeId: a.cashier.storeId });
    expect(atA.status).toBe(403);
    expect(atA.body.code).toBe('AUTH_STORE_FORBIDDEN');
    const ofA = await refund(a, redemption.id, 20000, { token: bToken, storeId: b.cashier.storeId });
    expect(ofA.status).toBe(403);
    expect(ofA.body.code).toBe('AUTH_STORE_FORBIDDEN');
    const audit = await q(
      `SELECT outcome, entity_type FROM audit_log WHERE actor_id = $1 AND action = 'refund.create' ORDER BY id`,
      [b.cashier.id],
    );
    expect(audit).toEqual([
      { outcome: 'denied', entity_type: 'store' },
      { outcome: 'denied', entity_type: 'redemption' },
    ]);
    expect(await q(`SELECT id FROM refund WHERE redemption_id = $1`, [redemption.id])).toHaveLength(0);
    expect((await voucher(a.voucher.id)).status).toBe('redeemed');
  });

  it('refuses a refund larger than what is left, a second reversal, and bad amounts', async () => {
    const { s, redemption } = await redeemed();
    const big = await refund(s, redemption.id, 20001);
    expect(big.status).toBe(422);
    expect(big.body.code).toBe('REFUND_EXCEEDS_ORDER');
    for (const amount of [0, -1, 1.5, '100', null]) {
      const res = await api.request('POST', `${URL}/${redemption.id}/refunds`, {
        token: f.token(s.cashier),
        body: { refundAmountFen: amount, storeId: s.cashier.storeId },
        headers: { 'idempotency-key': rf.key() },
      });
      expect(res.status).toBe(400);
    }
    expect((await refund(s, redemption.id, 20000)).status).toBe(201);
    const twice = await refund(s, redemption.id, 1);
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('REDEMPTION_ALREADY_REVERSED');
    const missing = await refund(s, 999_999_999, 1);
    expect(missing.status).toBe(404);
    expect(await q(`SELECT id FROM refund WHERE redemption_id = $1`, [redemption.id])).toHaveLength(1);
  });

  it('replays a refund for the same key instead of refunding twice', async () => {
    const { s, redemption } = await redeemed();
    const key = rf.key();
    const first = await refund(s, redemption.id, 5000, { key });
    const second = await refund(s, redemption.id, 5000, { key });
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(await q(`SELECT id FROM refund WHERE redemption_id = $1`, [redemption.id])).toHaveLength(1);
    const reused = await refund(s, redemption.id, 6000, { key });
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('shows a redemption with its refunds to staff of its merchant only', async () => {
    const { s, redemption } = await redeemed();
    await refund(s, redemption.id, 5000);
    const mine = await api.request('GET', `${URL}/${redemption.id}`, { token: s.ownerToken });
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ id: redemption.id, netOrderAmountFen: 15000, status: 'active' });
    expect(mine.body.refunds).toHaveLength(1);
    expect(mine.body.parts).toHaveLength(2);
    const other = await rf.scene();
    const theirs = await api.request('GET', `${URL}/${redemption.id}`, { token: other.cashierToken });
    expect(theirs.status).toBe(404);
  });
});
