import { MerchantService } from '@jinli/issuing';
import { ForgedCodeGuard } from '@jinli/redemption';
import { Actor } from '@jinli/platform';
import { Role } from '@jinli/contracts';
import { Factories, RedemptionFactories, RedemptionScene, TestApi, uniq } from '@jinli/testing';

const URL = '/api/v1/redemptions';

/**
 * The guards around a scan: forged codes counted per cashier, store and merchant (fail closed without
 * Redis), and the same citizen's second voucher at one store moments later.
 */
describe('redemption guards (HTTP)', () => {
  let api: TestApi;
  let f: Factories;
  let rf: RedemptionFactories;

  beforeAll(async () => {
    api = await TestApi.start({
      now: '2020-07-10T12:00:00+08:00',
      env: {
        REDEMPTION_FORGED_PER_CASHIER: '3',
        REDEMPTION_FORGED_PER_STORE: '5',
        REDEMPTION_FORGED_PER_MERCHANT: '7',
        REDEMPTION_FORGED_WINDOW_S: '600',
        REDEMPTION_REPEAT_WINDOW_S: '120',
      },
    });
    f = await new Factories(api).init();
    rf = new RedemptionFactories(api, f);
  });
  afterAll(() => api.close());

  const q = <T = any>(sql: string, params: unknown[] = []) =>
    api.dataSource.query(sql, params) as Promise<T[]>;
  const redeem = (token: string, b: Record<string, unknown>) =>
    api.request('POST', URL, { token, body: b, headers: { 'idempotency-key': rf.key() } });
  const preview = (token: string, b: Record<string, unknown>) =>
    api.request('POST', `${URL}/preview`, { token, body: b });
  const forgedOf = (voucherId: number) => {
    const qr = rf.code(voucherId).qr;
    return qr.slice(0, -2) + (qr.endsWith('AA') ? 'BB' : 'AA');
  };
  const genuine = (voucherId: number, storeId: number, extra: Record<string, unknown> = {}) => ({
    code: rf.code(voucherId).digits,
    orderAmountFen: 12800,
    storeId,
    ...extra,
  });
  /** Runs `work` with the clock moved on, then puts it back. */
  async function later<T>(ms: number, work: () => Promise<T>): Promise<T> {
    const start = api.clock.nowMs();
    api.clock.advance(ms);
    try {
      return await work();
    } finally {
      api.clock.set(start);
    }
  }
  /** Starts each test at the beginning of a forged-code window, so no count straddles two. */
  beforeEach(() => api.clock.set(Math.ceil(api.clock.nowMs() / 600_000) * 600_000 + 1000));

  /** A merchant whose first store has `extra` more cashiers (besides the factory's one per store). */
  async function merchantWithCashiers(stores: number, extra: number) {
    const m = await f.merchant({ stores });
    const added: Actor[] = [];
    for (let i = 0; i < extra; i++) {
      const view = await api.get(MerchantService).addCashier(m.owner, {
        username: uniq('cashier').replace(/[^A-Za-z0-9_.-]/g, ''),
        password: 'Cashier-password-1',
        displayName: '收银员',
        storeId: m.merchant.stores[0].id,
      });
      added.push({
        id: view.id,
        role: Role.Cashier,
        merchantId: m.merchant.id,
        storeId: m.merchant.stores[0].id,
      });
    }
    return { ...m, added };
  }
  const blocks = (actorId: number) =>
    q<{ outcome: string; details: Record<string, unknown> }>(
      `SELECT outcome, details FROM audit_log WHERE action = 'redemption.scan_blocked' AND actor_id = $1 ORDER BY id`,
      [actorId],
    );

  describe('forged codes', () => {
    it('stops a cashier after REDEMPTION_FORGED_PER_CASHIER forged codes, audited, until the window ends', async () => {
      const s = await rf.scene();
      for (let i = 0; i < 3; i++)
        expect(
          (
            await redeem(
              s.cashierToken,
              genuine(s.voucher.id, s.cashier.storeId!, { code: forgedOf(s.voucher.id) }),
            )
          ).body.code,
        ).toBe('VOUCHER_CODE_FORGED');
      const blocked = await redeem(s.cashierToken, genuine(s.voucher.id, s.cashier.storeId!));
      expect(blocked.status).toBe(429);
      expect(blocked.body).toEqual({
        code: 'RATE_LIMITED',
        message: expect.stringContaining('from this cashier'),
        details: { scope: 'cashier', forgedCodes: 3, limit: 3, windowS: 600, retryAfterS: 599 },
      });
      // Preview answers the same: it verifies codes too.
      expect((await preview(s.cashierToken, genuine(s.voucher.id, s.cashier.storeId!))).status).toBe(429);
      expect(await blocks(s.cashier.id)).toEqual([
        {
          outcome: 'denied',
          details: expect.objectContaining({ reason: 'forged_code_limit', scope: 'cashier' }),
        },
        {
          outcome: 'denied',
          details: expect.objectContaining({ reason: 'forged_code_limit', scope: 'cashier' }),
        },
      ]);
      expect(
        (await later(599_000, () => redeem(s.cashierToken, genuine(s.voucher.id, s.cashier.storeId!))))
          .status,
      ).toBe(201);
    });

    it('counts every cashier of a store together: more cashiers do not buy more guesses', async () => {
      const m = await merchantWithCashiers(1, 2);
      const [c1, c2, c3] = [m.cashiers[0], ...m.added];
      const s = await rf.scene();
      const forged = forgedOf(s.voucher.id);
      const store = m.merchant.stores[0].id;
      for (let i = 0; i < 3; i++) await redeem(f.token(c1), genuine(s.voucher.id, store, { code: forged }));
      for (let i = 0; i < 2; i++)
        expect((await redeem(f.token(c2), genuine(s.voucher.id, store, { code: forged }))).body.code).toBe(
          'VOUCHER_CODE_FORGED',
        );
      // c3 has sent nothing, but the store has had its 5.
      const v = await rf.voucher(s.batch.id);
      const res = await redeem(f.token(c3), genuine(v.id, store));
      expect(res.status).toBe(429);
      expect(res.body.details).toMatchObject({ scope: 'store', forgedCodes: 5, limit: 5 });
      expect(await blocks(c3.id)).toHaveLength(1);
    });

    it('counts every store of a merchant together', async () => {
      const m = await f.merchant({ stores: 3 });
      const s = await rf.scene();
      const forged = forgedOf(s.voucher.id);
      const send = async (c: Actor, n: number) => {
        const codes: string[] = [];
        for (let i = 0; i < n; i++)
          codes.push(
            (await redeem(f.token(c), genuine(s.voucher.id, c.storeId!, { code: forged }))).body.code,
          );
        return codes;
      };
      // 3 + 3 + 1 from three stores: no cashier and no store reaches its own limit.
      expect(await send(m.cashiers[0], 3)).toEqual(Array(3).fill('VOUCHER_CODE_FORGED'));
      expect(await send(m.cashiers[1], 3)).toEqual(Array(3).fill('VOUCHER_CODE_FORGED'));
      expect(await send(m.cashiers[2], 1)).toEqual(['VOUCHER_CODE_FORGED']);
      const v = await rf.voucher(s.batch.id);
      const res = await redeem(f.token(m.cashiers[2]), genuine(v.id, m.cashiers[2].storeId!));
      expect(res.status).toBe(429);
      expect(res.body.details).toMatchObject({ scope: 'merchant', forgedCodes: 7, limit: 7 });
    });

    it('lets a burst of parallel guesses through no further than the limit, without starving the pool', async () => {
      const s = await rf.scene();
      const forged = forgedOf(s.voucher.id);
      // Twice the connection pool: refusals are audited after their transaction, not beside it.
      const n = 2 * api.config.database.poolSize;
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: n }, () =>
          redeem(s.cashierToken, genuine(s.voucher.id, s.cashier.storeId!, { code: forged })),
        ),
      );
      expect(Date.now() - started).toBeLessThan(20_000);
      const codes = answers.map((a) => a.body.code);
      expect(codes.filter((c) => c === 'VOUCHER_CODE_FORGED')).toHaveLength(3);
      expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(n - 3);
      const audited = await q(
        `SELECT action, count(*)::int AS n FROM audit_log
          WHERE action IN ('redemption.code_refused', 'redemption.scan_blocked') AND actor_id = $1
          GROUP BY action ORDER BY action`,
        [s.cashier.id],
      );
      expect(audited).toEqual([
        { action: 'redemption.code_refused', n: 3 },
        { action: 'redemption.scan_blocked', n: n - 3 },
      ]);
    });

    it('does not count genuine codes, nor refusals for other reasons', async () => {
      const s = await rf.scene();
      for (let i = 0; i < 6; i++) {
        expect((await preview(s.cashierToken, genuine(s.voucher.id, s.cashier.storeId!))).status).toBe(200);
        expect(
          (await redeem(s.cashierToken, genuine(s.voucher.id, s.cashier.storeId!, { code: '1234' }))).body
            .code,
        ).toBe('VOUCHER_CODE_MALFORMED');
      }
      const keys = api
        .get(ForgedCodeGuard)
        .keys(s.cashier, s.cashier.storeId!, s.merchant.id, api.clock.nowMs());
      // Counted nowhere: genuine and malformed codes only read the counters.
      expect(await api.redis.client.mget(...keys)).toEqual([null, null, null]);
      expect((await redeem(s.cashierToken, genuine(s.voucher.id, s.cashier.storeId!))).status).toBe(201);
    });

    it('fails closed: when Redis cannot count, the scan is refused with 503 UNAVAILABLE and audited', async () => {
      const s = await rf.scene();
      const [cashierKey] = api
        .get(ForgedCodeGuard)
        .keys(s.cashier, s.cashier.storeId!, s.merchant.id, api.clock.nowMs());
      // A key of the wrong type makes every counting command fail, as an unreachable Redis would.
      await api.redis.client.hset(cashierKey, 'broken', '1');
      try {
        const res = await redeem(s.cashierToken, genuine(s.voucher.id, s.cashier.storeId!));
        expect(res.status).toBe(503);
        expect(res.body.code).toBe('UNAVAILABLE');
        expect((await preview(s.cashierToken, genuine(s.voucher.id, s.cashier.storeId!))).status).toBe(503);
        expect(await blocks(s.cashier.id)).toEqual([
          { outcome: 'denied', details: { reason: 'guard_unavailable' } },
          { outcome: 'denied', details: { reason: 'guard_unavailable' } },
        ]);
        expect((await q(`SELECT status FROM voucher WHERE id = $1`, [s.voucher.id]))[0].status).toBe(
          'claimed',
        );
      } finally {
        await api.redis.client.del(cashierKey);
      }
      expect((await redeem(s.cashierToken, genuine(s.voucher.id, s.cashier.storeId!))).status).toBe(201);
    });

    it('fails closed when the Redis connection is down', async () => {
      const s = await rf.scene();
      api.redis.client.disconnect();
      try {
        const res = await redeem(s.cashierToken, genuine(s.voucher.id, s.cashier.storeId!));
        expect(res.status).toBe(503);
        expect(res.body.code).toBe('UNAVAILABLE');
      } finally {
        await api.redis.client.connect();
      }
      expect((await redeem(s.cashierToken, genuine(s.voucher.id, s.cashier.storeId!))).status).toBe(201);
    });
  });

  describe("the same citizen's second voucher at one store", () => {
    /** A scene whose citizen holds two vouchers of the batch. */
    async function twoVouchers(options: { stores?: number } = {}) {
      const s = await rf.scene({ batch: { perCitizenLimit: 2 }, merchant: { stores: options.stores ?? 1 } });
      const second = await rf.voucher(s.batch.id, { citizenId: s.citizen.id });
      return { s, second };
    }
    const store = (s: RedemptionScene) => s.cashier.storeId!;

    it('is refused within REDEMPTION_REPEAT_WINDOW_S unless both name different orders, and previewed', async () => {
      const { s, second } = await twoVouchers();
      expect((await redeem(s.cashierToken, genuine(s.voucher.id, store(s)))).status).toBe(201);
      api.clock.advance(30_000);
      const res = await redeem(s.cashierToken, genuine(second.id, store(s)));
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('REPEAT_REDEMPTION_TOO_SOON');
      expect(res.body.details.failures[0]).toMatchObject({
        messageKey: 'redemption.rule.repeatRedemptionTooSoon',
        params: { windowS: 120, retryAfterS: 90 },
      });
      const p = await preview(s.cashierToken, genuine(second.id, store(s)));
      expect(p.body.failures.map((x: { code: string }) => x.code)).toEqual(['REPEAT_REDEMPTION_TOO_SOON']);
      // Naming only this order does not tell it apart from an order that named none.
      expect(
        (await redeem(s.cashierToken, genuine(second.id, store(s), { orderRef: 'B-2' }))).body.code,
      ).toBe('REPEAT_REDEMPTION_TOO_SOON');
      expect((await q(`SELECT status FROM voucher WHERE id = $1`, [second.id]))[0].status).toBe('claimed');
      // After the window it is just another purchase.
      expect((await later(90_000, () => redeem(s.cashierToken, genuine(second.id, store(s))))).status).toBe(
        201,
      );
    });

    it('is allowed when both redemptions name different orders, at another store, or after a refund', async () => {
      const a = await twoVouchers();
      expect(
        (await redeem(a.s.cashierToken, genuine(a.s.voucher.id, store(a.s), { orderRef: 'A-1' }))).status,
      ).toBe(201);
      expect(
        (await redeem(a.s.cashierToken, genuine(a.second.id, store(a.s), { orderRef: 'A-2' }))).status,
      ).toBe(201);

      const b = await twoVouchers({ stores: 2 });
      expect((await redeem(b.s.cashierToken, genuine(b.s.voucher.id, store(b.s)))).status).toBe(201);
      const other = b.s.otherCashiers[0];
      expect((await redeem(f.token(other), genuine(b.second.id, other.storeId!))).status).toBe(201);

      const c = await twoVouchers();
      const first = await redeem(c.s.cashierToken, genuine(c.s.voucher.id, store(c.s)));
      const refund = await api.request('POST', `${URL}/${first.body.id}/refunds`, {
        token: c.s.cashierToken,
        body: { refundAmountFen: 12800, storeId: store(c.s) },
        headers: { 'idempotency-key': rf.key() },
      });
      expect(refund.body.outcome).toBe('reversed_restored');
      expect((await redeem(c.s.cashierToken, genuine(c.second.id, store(c.s)))).status).toBe(201);
    });

    it('holds when both vouchers are scanned at once', async () => {
      const { s, second } = await twoVouchers();
      const [x, y] = await Promise.all([
        redeem(s.cashierToken, genuine(s.voucher.id, store(s))),
        redeem(s.cashierToken, genuine(second.id, store(s))),
      ]);
      expect([x.status, y.status].sort()).toEqual([201, 422]);
      expect([x.body.code, y.body.code]).toContain('REPEAT_REDEMPTION_TOO_SOON');
    });
  });

  it('counts nothing for a scan refused before the code is read (a cashier of another store)', async () => {
    const s = await rf.scene();
    const other = await rf.scene();
    const storeId = s.cashier.storeId!;
    const res = await redeem(
      other.cashierToken,
      genuine(s.voucher.id, storeId, { code: forgedOf(s.voucher.id) }),
    );
    expect(res.body.code).toBe('AUTH_STORE_FORBIDDEN');
    const guard = api.get(ForgedCodeGuard);
    for (const keys of [
      guard.keys(other.cashier, storeId, s.merchant.id, api.clock.nowMs()),
      guard.keys(other.cashier, other.cashier.storeId!, other.merchant.id, api.clock.nowMs()),
    ])
      expect(await api.redis.client.mget(...keys)).toEqual([null, null, null]);
  });
});
