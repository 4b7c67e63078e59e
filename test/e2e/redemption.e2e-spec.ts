import { BatchService, CampaignService } from '@jinli/issuing';
import { VoucherCodec } from '@jinli/redemption';
import { DAY, Factories, HOUR, RedemptionFactories, RedemptionScene, TestApi } from '@jinli/testing';

const URL = '/api/v1/redemptions';

describe('redemption at the till (HTTP)', () => {
  let api: TestApi;
  let f: Factories;
  let rf: RedemptionFactories;

  beforeAll(async () => {
    api = await TestApi.start({ now: '2020-07-10T12:00:00+08:00' });
    f = await new Factories(api).init();
    rf = new RedemptionFactories(api, f);
  });
  afterAll(() => api.close());

  const body = (s: RedemptionScene, extra: Record<string, unknown> = {}) => ({
    code: rf.code(s.voucher.id).digits,
    orderAmountFen: 12800,
    storeId: s.cashier.storeId,
    ...extra,
  });
  const redeem = (s: RedemptionScene, b: unknown, key = rf.key(), token = s.cashierToken) =>
    api.request('POST', URL, { token, body: b, headers: { 'idempotency-key': key } });
  const preview = (s: RedemptionScene, b: unknown, token = s.cashierToken) =>
    api.request('POST', `${URL}/preview`, { token, body: b });
  const q = <T = any>(sql: string, params: unknown[] = []) =>
    api.dataSource.query(sql, params) as Promise<T[]>;
  const voucherStatus = async (id: number) =>
    (await q(`SELECT status FROM voucher WHERE id = $1`, [id]))[0].status;
  const committed = async (campaignId: number) =>
    (
      await q(
        `SELECT f.id, f.committed_fen FROM funder f JOIN campaign_funder cf ON cf.funder_id = f.id
          WHERE cf.campaign_id = $1 ORDER BY f.id`,
        [campaignId],
      )
    ).map((r) => r.committed_fen);

  it('redeems a voucher: 201, parts summing to the discount, funders committed, audit and outbox in one go', async () => {
    const s = await rf.scene();
    const res = await redeem(s, body(s, { orderRef: 'POS-1' }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      voucherId: s.voucher.id,
      storeId: s.cashier.storeId,
      orderAmountFen: 12800,
      discountFen: 3000,
      payableFen: 9800,
      netOrderAmountFen: 12800,
      status: 'active',
      businessDay: '2020-07-10',
      orderRef: 'POS-1',
    });
    expect(res.body.parts.map((p: any) => p.amountFen)).toEqual([2100, 900]);
    expect(await voucherStatus(s.voucher.id)).toBe('redeemed');
    expect(await committed(s.batch.campaignId)).toEqual([2100, 900]);
    const [outbox] = await q(
      `SELECT topic, payload FROM outbox_event WHERE aggregate_id = $1 AND topic LIKE 'redemption.%'`,
      [String(res.body.id)],
    );
    expect(outbox.topic).toBe('redemption.created');
    expect(outbox.payload).toMatchObject({
      redemptionId: res.body.id,
      discountFen: 3000,
      parts: res.body.parts,
    });
    const audit = await q(
      `SELECT actor_id, outcome FROM audit_log WHERE action = 'redemption.create' AND entity_type = 'redemption' AND entity_id = $1`,
      [String(res.body.id)],
    );
    expect(audit).toEqual([{ actor_id: s.cashier.id, outcome: 'ok' }]);
  });

  it('accepts the QR payload as well as the digits', async () => {
    const s = await rf.scene();
    const res = await redeem(s, body(s, { code: rf.code(s.voucher.id).qr }));
    expect(res.status).toBe(201);
  });

  describe('idempotency keys', () => {
    it('replays the stored answer for the same key and body, and refuses the key for another body', async () => {
      const s = await rf.scene();
      const key = rf.key();
      const b = body(s);
      const first = await redeem(s, b, key);
      expect(first.status).toBe(201);
      // Minutes later the code itself has expired, but a retry still gets the first answer.
      api.clock.advance(5 * 60_000);
      const again = await redeem(s, b, key);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      const other = await redeem(s, { ...b, orderAmountFen: 13000 }, key);
      expect(other.status).toBe(422);
      expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await q(`SELECT id FROM redemption WHERE voucher_id = $1`, [s.voucher.id])).toHaveLength(1);
    });

    it('requires a well-formed Idempotency-Key', async () => {
      const s = await rf.scene();
      const none = await api.request('POST', URL, { token: s.cashierToken, body: body(s) });
      expect(none.status).toBe(400);
      expect(none.body.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
      const bad = await redeem(s, body(s), 'x'.repeat(201));
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
      expect(await voucherStatus(s.voucher.id)).toBe('claimed');
    });

    it('does not store a refusal: the same key works once the cause is gone', async () => {
      const s = await rf.scene({ batch: { usageWindows: [{ start: '20:30', end: '02:00' }] } });
      const key = rf.key();
      const early = await redeem(s, body(s), key);
      expect(early.status).toBe(422);
      expect(early.body.code).toBe('VOUCHER_OUTSIDE_USAGE_WINDOW');
      api.clock.advance(9 * HOUR);
      try {
        const token = f.token(s.cashier);
        const later = await redeem(s, body(s), key, token);
        expect(later.status).toBe(201);
      } finally {
        api.clock.advance(-9 * HOUR);
      }
    });
  });

  describe('codes', () => {
    it('refuses a replayed code of a redeemed voucher, a stale code, a forged and a truncated one', async () => {
      const s = await rf.scene();
      const code = rf.code(s.voucher.id);
      expect((await redeem(s, body(s, { code: code.digits }))).status).toBe(201);
      const replay = await redeem(s, body(s, { code: code.digits }));
      expect(replay.status).toBe(409);
      expect(replay.body.code).toBe('VOUCHER_ALREADY_REDEEMED');

      const s2 = await rf.scene();
      const old = rf.code(s2.voucher.id);
      api.clock.advance(61_000);
      try {
        const stale = await redeem(s2, body(s2, { code: old.digits }));
        expect(stale.body.code).toBe('VOUCHER_CODE_EXPIRED');
        const staleQr = await redeem(s2, body(s2, { code: old.qr }));
        expect(staleQr.body.code).toBe('VOUCHER_CODE_EXPIRED');
      } finally {
        api.clock.advance(-61_000);
      }
      const fresh = rf.code(s2.voucher.id);
      const forgedQr = fresh.qr.slice(0, -2) + (fresh.qr.endsWith('AA') ? 'BB' : 'AA');
      expect((await redeem(s2, body(s2, { code: forgedQr }))).body.code).toBe('VOUCHER_CODE_FORGED');
      expect((await redeem(s2, body(s2, { code: fresh.qr.slice(0, -3) }))).body.code).toBe(
        'VOUCHER_CODE_MALFORMED',
      );
      expect((await redeem(s2, body(s2, { code: fresh.digits.slice(0, 16) }))).body.code).toBe(
        'VOUCHER_CODE_MALFORMED',
      );
      const otherEnv = new VoucherCodec(api.config.voucherCodes.keys, 'elsewhere').render(
        s2.voucher.id,
        VoucherCodec.stepAt(api.clock.nowMs()),
      );
      const env = await redeem(s2, body(s2, { code: otherEnv.qr }));
      expect(env.status).toBe(422);
      expect(env.body.code).toBe('VOUCHER_CODE_OTHER_ENVIRONMENT');
      const wrong = await redeem(s2, body(s2, { code: fresh.qr, voucherId: s.voucher.id }));
      expect(wrong.body.code).toBe('VOUCHER_CODE_WRONG_VOUCHER');
      expect(await voucherStatus(s2.voucher.id)).toBe('claimed');
      const forgedAudit = await q(
        `SELECT count(*)::int AS n FROM audit_log WHERE action = 'redemption.code_refused' AND actor_id = $1`,
        [s2.cashier.id],
      );
      expect(forgedAudit[0].n).toBe(1);
    });

    it('answers 404 for a genuine code of a voucher that does not exist', async () => {
      const s = await rf.scene();
      const res = await redeem(s, body(s, { code: rf.code(999_999_998).qr }));
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('VOUCHER_NOT_FOUND');
    });

    it('pauses a cashier who sends too many forged codes', async () => {
      const s = await rf.scene();
      const fresh = rf.code(s.voucher.id);
      const forged = fresh.qr.slice(0, -2) + (fresh.qr.endsWith('AA') ? 'BB' : 'AA');
      for (let i = 0; i < 10; i++)
        expect((await redeem(s, body(s, { code: forged }))).body.code).toBe('VOUCHER_CODE_FORGED');
      const blocked = await redeem(s, body(s));
      expect(blocked.status).toBe(429);
      expect(blocked.body).toMatchObject({
        code: 'RATE_LIMITED',
        details: { scope: 'cashier', forgedCodes: 10, limit: 10, windowS: 600 },
      });
      // The next window of the clock lets the cashier scan again.
      const start = api.clock.nowMs();
      api.clock.advance(600_000);
      try {
        expect((await redeem(s, body(s))).status).toBe(201);
      } finally {
        api.clock.set(start);
      }
    });
  });

  describe('preview', () => {
    it('returns discount, payable and every failing rule without changing anything', async () => {
      const s = await rf.scene({
        batch: {
          allowedCategories: ['retail'],
          allowedDistricts: ['kunshan'],
          usageWindows: [{ start: '20:30', end: '02:00' }],
        },
      });
      const res = await preview(s, body(s, { orderAmountFen: 5000 }));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        ok: false,
        voucherId: s.voucher.id,
        discountFen: 3000,
        payableFen: 2000,
      });
      expect(res.body.failures.map((x: any) => x.code)).toEqual([
        'MERCHANT_CATEGORY_NOT_ALLOWED',
        'MERCHANT_DISTRICT_NOT_ALLOWED',
        'VOUCHER_OUTSIDE_USAGE_WINDOW',
        'ORDER_BELOW_THRESHOLD',
      ]);
      for (const x of res.body.failures)
        expect(x).toMatchObject({
          messageKey: expect.stringMatching(/^redemption\.rule\./),
          messageZh: expect.any(String),
        });
      const good = await rf.scene();
      const ok = await preview(good, body(good));
      expect(ok.status).toBe(200);
      expect(ok.body.ok).toBe(true);
      expect(await voucherStatus(good.voucher.id)).toBe('claimed');
      expect(await voucherStatus(s.voucher.id)).toBe('claimed');
    });

    it('previews a redeemable voucher with its split', async () => {
      const s = await rf.scene({ shares: [3333, 3333, 3334] });
      const res = await preview(s, body(s, { orderAmountFen: 10000 }));
      expect(res.body).toMatchObject({ ok: true, failures: [], discountFen: 3000, payableFen: 7000 });
      expect(res.body.parts.reduce((t: number, p: any) => t + p.amountFen, 0)).toBe(3000);
    });
  });

  describe('every rule refuses', () => {
    const refused = async (
      s: RedemptionScene,
      code: string,
      extra: Record<string, unknown> = {},
      status = 422,
    ) => {
      const res = await redeem(s, body(s, extra));
      expect(res.body.code).toBe(code);
      expect(res.status).toBe(status);
      expect(await voucherStatus(s.voucher.id)).not.toBe('redeemed');
      expect(await q(`SELECT id FROM redemption WHERE voucher_id = $1`, [s.voucher.id])).toHaveLength(0);
      return res;
    };

    it('a voucher past its validity, not valid yet, void or expired', async () => {
      const s = await rf.scene();
      await q(`UPDATE voucher SET valid_from = $2, valid_until = $3 WHERE id = $1`, [
        s.voucher.id,
        new Date(api.clock.nowMs() - DAY),
        api.clock.now(),
      ]);
      await refused(s, 'VOUCHER_EXPIRED');
      const s2 = await rf.scene();
      await q(`UPDATE voucher SET valid_from = $2, valid_until = $3 WHERE id = $1`, [
        s2.voucher.id,
        new Date(api.clock.nowMs() + HOUR),
        new Date(api.clock.nowMs() + DAY),
      ]);
      await refused(s2, 'VOUCHER_NOT_YET_VALID');
      const s3 = await rf.scene();
      await q(`UPDATE voucher SET status = 'void' WHERE id = $1`, [s3.voucher.id]);
      await refused(s3, 'VOUCHER_VOID');
      const s4 = await rf.scene();
      await q(`UPDATE voucher SET status = 'expired' WHERE id = $1`, [s4.voucher.id]);
      await refused(s4, 'VOUCHER_EXPIRED');
    });

    it('an order below the threshold (one fen short)', async () => {
      await refused(await rf.scene(), 'ORDER_BELOW_THRESHOLD', { orderAmountFen: 9999 });
      const s = await rf.scene();
      expect((await redeem(s, body(s, { orderAmountFen: 10000 }))).status).toBe(201);
    });

    it('outside the usage window', async () => {
      await refused(
        await rf.scene({ batch: { usageWindows: [{ start: '20:30', end: '02:00' }] } }),
        'VOUCHER_OUTSIDE_USAGE_WINDOW',
      );
    });

    it('a merchant of another category, a store in another district, a merchant off the whitelist', async () => {
      await refused(
        await rf.scene({ batch: { allowedCategories: ['retail'] } }),
        'MERCHANT_CATEGORY_NOT_ALLOWED',
      );
      await refused(
        await rf.scene({ batch: { allowedDistricts: ['kunshan'] } }),
        'MERCHANT_DISTRICT_NOT_ALLOWED',
      );
      const listed = await f.merchant();
      await refused(
        await rf.scene({ batch: { merchantWhitelist: [listed.merchant.id] } }),
        'MERCHANT_NOT_WHITELISTED',
      );
      const ok = await rf.scene({
        batch: { allowedCategories: ['catering'], allowedDistricts: ['gusu'] },
      });
      expect((await redeem(ok, body(ok))).status).toBe(201);
    });

    it('a merchant no longer approved, or a closed store, audited', async () => {
      const s = await rf.scene();
      await q(`UPDATE merchant SET status = 'suspended' WHERE id = $1`, [s.merchant.id]);
      await refused(s, 'MERCHANT_NOT_APPROVED');
      const closed = await rf.scene();
      await q(`UPDATE store SET status = 'closed' WHERE id = $1`, [closed.cashier.storeId]);
      await refused(closed, 'STORE_NOT_FOUND', {}, 404);
      for (const [scene, reason] of [
        [s, 'merchant suspended'],
        [closed, 'store closed'],
      ] as const) {
        const audit = await q(
          `SELECT outcome, entity_id, details->>'reason' AS reason FROM audit_log
            WHERE actor_id = $1 AND action = 'redemption.create'`,
          [scene.cashier.id],
        );
        expect(audit).toEqual([{ outcome: 'denied', entity_id: String(scene.cashier.storeId), reason }]);
      }
    });

    it('a paused or ended campaign or batch', async () => {
      const campaigns = api.get(CampaignService);
      const batches = api.get(BatchService);
      const s1 = await rf.scene();
      await campaigns.transition(f.operator, s1.batch.campaignId, 'pause');
      await refused(s1, 'CAMPAIGN_PAUSED');
      const s2 = await rf.scene();
      await campaigns.transition(f.operator, s2.batch.campaignId, 'end');
      await refused(s2, 'CAMPAIGN_ENDED');
      const s3 = await rf.scene();
      await batches.transition(f.operator, s3.batch.id, 'pause');
      await refused(s3, 'BATCH_PAUSED');
      const s4 = await rf.scene();
      await batches.transition(f.operator, s4.batch.id, 'end');
      await refused(s4, 'BATCH_ENDED');
    });

    it('more vouchers on one order than the batch allows', async () => {
      const s = await rf.scene();
      expect((await redeem(s, body(s, { orderRef: 'ORDER-7', orderAmountFen: 30000 }))).status).toBe(201);
      const second = await rf.voucher(s.batch.id);
      const res = await redeem(s, {
        code: rf.code(second.id).digits,
        orderAmountFen: 30000,
        storeId: s.cashier.storeId,
        orderRef: 'ORDER-7',
      });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('VOUCHERS_PER_ORDER_EXCEEDED');
      const other = await redeem(s, {
        code: rf.code(second.id).digits,
        orderAmountFen: 30000,
        storeId: s.cashier.storeId,
        orderRef: 'ORDER-8',
      });
      expect(other.status).toBe(201);
    });

    it('a second voucher on one order, also when tills scan them at once (one voucher per order)', async () => {
      const s = await rf.scene();
      const others = await Promise.all([1, 2, 3, 4, 5].map(() => rf.voucher(s.batch.id)));
      const all = [s.voucher, ...others];
      const results = await Promise.all(
        all.map((v) =>
          redeem(s, {
            code: rf.code(v.id).digits,
            orderAmountFen: 20000,
            storeId: s.cashier.storeId,
            orderRef: 'ORDER-PAR',
          }),
        ),
      );
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      for (const r of results.filter((x) => x.status !== 201)) {
        expect(r.status).toBe(422);
        expect(r.body.code).toBe('VOUCHERS_PER_ORDER_EXCEEDED');
      }
      // The order is counted once: one live redemption carrying its amount.
      const [order] = await q(
        `SELECT count(*)::int AS n, sum(net_order_amount_fen)::bigint AS fen FROM redemption
          WHERE merchant_id = $1 AND order_ref = 'ORDER-PAR' AND status = 'active'`,
        [s.merchant.id],
      );
      expect(order).toEqual({ n: 1, fen: 20000 });
    });

    it('a batch offering two vouchers per order cannot be created (400 over HTTP)', async () => {
      const c = await f.campaign();
      const res = await api.request('POST', `/api/v1/campaigns/${c.id}/batches`, {
        token: f.operatorToken,
        body: f.batchInput({ vouchersPerOrder: 2 }),
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details).toEqual([
        {
          field: 'vouchersPerOrder',
          problems: ['vouchersPerOrder must be 1: Jinli takes one voucher per order'],
        },
      ]);
      const ok = await api.request('POST', `/api/v1/campaigns/${c.id}/batches`, {
        token: f.operatorToken,
        body: f.batchInput({ vouchersPerOrder: 1 }),
      });
      expect(ok.status).toBe(201);
    });

    it('a campaign with a paused or ended funder (preview lists it)', async () => {
      const s = await rf.scene();
      const [funder] = await q(`SELECT max(funder_id) AS id FROM campaign_funder WHERE campaign_id = $1`, [
        s.batch.campaignId,
      ]);
      await q(`UPDATE funder SET status = 'paused' WHERE id = $1`, [funder.id]);
      const p = await preview(s, body(s));
      expect(p.body.ok).toBe(false);
      expect(p.body.failures).toEqual([
        expect.objectContaining({
          code: 'FUNDER_NOT_PUBLISHED',
          messageKey: 'redemption.rule.funderNotPublished',
          params: { funderIds: [funder.id] },
        }),
      ]);
      await refused(s, 'FUNDER_NOT_PUBLISHED');
      await q(`UPDATE funder SET status = 'ended' WHERE id = $1`, [funder.id]);
      await refused(s, 'FUNDER_NOT_PUBLISHED');
      expect(await committed(s.batch.campaignId)).toEqual([0, 0]);
    });

    it('a funder out of budget (the database check is the proof)', async () => {
      const s = await rf.scene();
      await q(
        `UPDATE funder SET budget_fen = committed_fen + 100 WHERE id = (SELECT min(funder_id) FROM campaign_funder WHERE campaign_id = $1)`,
        [s.batch.campaignId],
      );
      await refused(s, 'FUNDER_BUDGET_EXHAUSTED');
    });

    it('a store of another merchant, audited', async () => {
      const a = await rf.scene();
      const b = await rf.scene();
      const cross = await redeem(a, body(a, { storeId: a.cashier.storeId }), rf.key(), b.cashierToken);
      expect(cross.status).toBe(403);
      expect(cross.body.code).toBe('AUTH_STORE_FORBIDDEN');
      const audit = await q(
        `SELECT outcome, entity_id FROM audit_log WHERE actor_id = $1 AND action = 'redemption.create'`,
        [b.cashier.id],
      );
      expect(audit).toEqual([{ outcome: 'denied', entity_id: String(a.cashier.storeId) }]);
      expect(await voucherStatus(a.voucher.id)).toBe('claimed');
    });

    it("another store of the cashier's own merchant, audited", async () => {
      const s = await rf.scene({ merchant: { stores: 2 } });
      const res = await redeem(s, body(s, { storeId: s.merchant.stores[1].id }));
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('AUTH_STORE_FORBIDDEN');
      const audit = await q(
        `SELECT outcome FROM audit_log WHERE actor_id = $1 AND action = 'redemption.create'`,
        [s.cashier.id],
      );
      expect(audit).toEqual([{ outcome: 'denied' }]);
    });

    it('non-cashiers', async () => {
      const s = await rf.scene();
      const owner = await redeem(s, body(s), rf.key(), s.ownerToken);
      expect(owner.status).toBe(403);
      const citizen = await redeem(s, body(s), rf.key(), s.citizen.token);
      expect(citizen.status).toBe(403);
    });
  });

  describe('the night window across midnight', () => {
    it('redeems at 23:59 and 01:30 Shanghai time, refuses at 02:00 and 20:29', async () => {
      const start = api.clock.nowMs();
      const at = async (local: string) => {
        api.clock.set(`${local}+08:00`);
        const s = await rf.scene({ batch: { usageWindows: [{ start: '20:30', end: '02:00' }] } });
        return (await redeem(s, body(s))).body.code ?? 'OK';
      };
      try {
        expect(await at('2020-07-10T23:59:00')).toBe('OK');
        expect(await at('2020-07-11T01:30:00')).toBe('OK');
        expect(await at('2020-07-11T02:00:00')).toBe('VOUCHER_OUTSIDE_USAGE_WINDOW');
        expect(await at('2020-07-11T20:29:00')).toBe('VOUCHER_OUTSIDE_USAGE_WINDOW');
        expect(await at('2020-07-11T20:30:00')).toBe('OK');
      } finally {
        api.clock.set(start);
      }
    });

    it('books a redemption after midnight on the new business day', async () => {
      const start = api.clock.nowMs();
      try {
        api.clock.set('2020-07-11T00:30:00+08:00');
        const s = await rf.scene({ batch: { usageWindows: [{ start: '20:30', end: '02:00' }] } });
        const res = await redeem(s, body(s));
        expect(res.body.businessDay).toBe('2020-07-11');
      } finally {
        api.clock.set(start);
      }
    });
  });

  describe('amount fuzzing', () => {
    it.each([
      ['negative', '-100'],
      ['zero', '0'],
      ['fractional', '100.5'],
      ['a string', '"12800"'],
      ['huge', '1e20'],
      ['beyond the safe range', '9007199254740993'],
      ['NaN', 'NaN'],
      ['Infinity', '1e400'],
      ['full-width digits', '"１２８００"'],
      ['null', 'null'],
      ['an array', '[12800]'],
      ['an object', '{"fen":12800}'],
      ['a boolean', 'true'],
    ])('refuses %s with 400 and changes nothing', async (_, amount) => {
      const s = await rf.scene();
      const raw = `{"code":"${rf.code(s.voucher.id).digits}","orderAmountFen":${amount},"storeId":${s.cashier.storeId}}`;
      for (const url of [URL, `${URL}/preview`]) {
        const res = await api.request('POST', url, {
          token: s.cashierToken,
          raw,
          headers: { 'idempotency-key': rf.key() },
        });
        expect(res.status).toBe(400);
        expect(['VALIDATION_FAILED', 'MALFORMED_REQUEST']).toContain(res.body.code);
      }
      expect(await voucherStatus(s.voucher.id)).toBe('claimed');
      expect(await q(`SELECT id FROM redemption WHERE voucher_id = $1`, [s.voucher.id])).toHaveLength(0);
      expect(await committed(s.batch.campaignId)).toEqual([0, 0]);
    });

    it('refuses a missing amount, unknown fields and a bad store id', async () => {
      const s = await rf.scene();
      const code = rf.code(s.voucher.id).digits;
      for (const b of [
        { code, storeId: s.cashier.storeId },
        { code, orderAmountFen: 12800, storeId: s.cashier.storeId, discountFen: 5000 },
        { code, orderAmountFen: 12800, storeId: '1' },
        { code: 12345, orderAmountFen: 12800, storeId: s.cashier.storeId },
      ]) {
        const res = await redeem(s, b);
        expect(res.status).toBe(400);
      }
      expect(await voucherStatus(s.voucher.id)).toBe('claimed');
    });
  });
});
