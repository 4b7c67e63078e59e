import { VoucherCodeService } from '@jinli/redemption';
import { DAY, Factories, RedemptionFactories, RedemptionScene, TestApi } from '@jinli/testing';

describe('redemption views (HTTP)', () => {
  let api: TestApi;
  let f: Factories;
  let rf: RedemptionFactories;

  beforeAll(async () => {
    api = await TestApi.start({ now: '2020-07-10T21:00:00+08:00' });
    f = await new Factories(api).init();
    rf = new RedemptionFactories(api, f);
  });
  afterAll(() => api.close());

  const redeem = (s: RedemptionScene, voucherId: number, orderAmountFen: number, cashier = s.cashier) =>
    api.request('POST', '/api/v1/redemptions', {
      token: f.token(cashier),
      body: { code: rf.code(voucherId).digits, orderAmountFen, storeId: cashier.storeId },
      headers: { 'idempotency-key': rf.key() },
    });

  describe('citizen', () => {
    it('lists my vouchers by state and shows one with its live code, rules and where it can be used', async () => {
      const s = await rf.scene({
        batch: {
          allowedCategories: ['catering'],
          allowedDistricts: ['gusu'],
          usageWindows: [{ start: '20:30', end: '02:00' }],
          perCitizenLimit: 3,
        },
      });
      const used = await rf.voucher(s.batch.id, { citizenId: s.citizen.id });
      const lapsed = await rf.voucher(s.batch.id, {
        citizenId: s.citizen.id,
        validFrom: new Date(api.clock.nowMs() - 2 * DAY),
        validUntil: new Date(api.clock.nowMs() - DAY),
      });
      expect((await redeem(s, used.id, 12800)).status).toBe(201);

      const list = await api.request('GET', '/api/v1/me/vouchers', { token: s.citizen.token });
      expect(list.status).toBe(200);
      expect(list.body.counts).toEqual({ claimed: 1, redeemed: 1, expired: 1, void: 0 });
      expect(list.body.items.map((v: any) => [v.id, v.state])).toEqual(
        expect.arrayContaining([
          [s.voucher.id, 'claimed'],
          [used.id, 'redeemed'],
          [lapsed.id, 'expired'],
        ]),
      );
      const claimed = await api.request('GET', '/api/v1/me/vouchers?state=claimed', {
        token: s.citizen.token,
      });
      expect(claimed.body.items.map((v: any) => v.id)).toEqual([s.voucher.id]);
      const bad = await api.request('GET', '/api/v1/me/vouchers?state=gone', { token: s.citizen.token });
      expect(bad.status).toBe(400);

      const one = await api.request('GET', `/api/v1/me/vouchers/${s.voucher.id}`, { token: s.citizen.token });
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({
        id: s.voucher.id,
        state: 'claimed',
        faceValueFen: 3000,
        thresholdFen: 10000,
        usageWindows: [{ start: '20:30', end: '02:00' }],
        rules: {
          usableNow: true,
          vouchersPerOrder: 1,
          allowedCategories: [{ code: 'catering', name: '餐饮' }],
          allowedDistricts: [{ code: 'gusu', name: '姑苏区' }],
          whitelistedMerchants: 0,
        },
        haltedBy: null,
      });
      expect(one.body.rules.storeCount).toBeGreaterThanOrEqual(1);
      expect(one.body.code.digits).toMatch(/^\d{18}$/);
      expect(
        new Date(one.body.code.expiresAt).getTime() - new Date(one.body.code.refreshAfter).getTime(),
      ).toBe(30_000);
      // The code shown is one the till accepts.
      expect(api.get(VoucherCodeService).verify(one.body.code.qr).voucherId).toBe(s.voucher.id);

      const code = await api.request('GET', `/api/v1/me/vouchers/${s.voucher.id}/code`, {
        token: s.citizen.token,
      });
      expect(code.status).toBe(200);
      expect(code.body.qr).toBe(one.body.code.qr);
      const usedCode = await api.request('GET', `/api/v1/me/vouchers/${used.id}/code`, {
        token: s.citizen.token,
      });
      expect(usedCode.body.code).toBe('VOUCHER_ALREADY_REDEEMED');
      const usedOne = await api.request('GET', `/api/v1/me/vouchers/${used.id}`, { token: s.citizen.token });
      expect(usedOne.body.code).toBeNull();
    });

    it('shows a voucher of a paused or ended campaign or batch as not usable, with why, and without a live code', async () => {
      const s = await rf.scene();
      const one = () => api.request('GET', `/api/v1/me/vouchers/${s.voucher.id}`, { token: s.citizen.token });
      const listed = async () => {
        const res = await api.request('GET', '/api/v1/me/vouchers?state=claimed', { token: s.citizen.token });
        return res.body.items.find((v: any) => v.id === s.voucher.id);
      };
      const code = () =>
        api.request('GET', `/api/v1/me/vouchers/${s.voucher.id}/code`, { token: s.citizen.token });
      const act = async (what: 'campaigns' | 'batches', id: number, action: string) =>
        expect(
          (await api.request('POST', `/api/v1/${what}/${id}/${action}`, { token: f.operatorToken })).status,
        ).toBe(200);
      const expectHalted = async (reason: string | null) => {
        const detail = await one();
        expect(detail.body).toMatchObject({
          state: 'claimed',
          haltedBy: reason,
          rules: { usableNow: !reason },
        });
        expect(await listed()).toMatchObject({ state: 'claimed', haltedBy: reason });
        const c = await code();
        if (reason) {
          expect(detail.body.code).toBeNull();
          expect([c.status, c.body.code]).toEqual([422, reason]);
        } else {
          expect(detail.body.code.digits).toMatch(/^\d{18}$/);
          expect(c.status).toBe(200);
        }
      };

      await expectHalted(null);
      await act('batches', s.batch.id, 'pause');
      await expectHalted('BATCH_PAUSED');
      await act('batches', s.batch.id, 'resume');
      await act('campaigns', s.batch.campaignId, 'pause');
      await expectHalted('CAMPAIGN_PAUSED');
      await act('campaigns', s.batch.campaignId, 'resume');
      await expectHalted(null);
      // Ending the campaign ends its batches; no voucher changes state.
      await act('campaigns', s.batch.campaignId, 'end');
      await expectHalted('CAMPAIGN_ENDED');
      // The till agrees.
      const till = await redeem(s, s.voucher.id, 12800);
      expect(till.body.code).toBe('CAMPAIGN_ENDED');
    });

    it("never shows another citizen's voucher (404)", async () => {
      const s = await rf.scene();
      const other = await f.citizen();
      for (const url of [`/api/v1/me/vouchers/${s.voucher.id}`, `/api/v1/me/vouchers/${s.voucher.id}/code`]) {
        const res = await api.request('GET', url, { token: other.token });
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('VOUCHER_NOT_FOUND');
      }
      const list = await api.request('GET', '/api/v1/me/vouchers', { token: other.token });
      expect(list.body.items).toEqual([]);
      const cashier = await api.request('GET', `/api/v1/me/vouchers/${s.voucher.id}`, {
        token: s.cashierToken,
      });
      expect(cashier.status).toBe(403);
    });

    it('counts only stores where the voucher can be used', async () => {
      const campaign = await f.campaign();
      const listed = await f.merchant({ stores: 3 });
      await f.merchant({ stores: 2 });
      const batch = await f.batch({ campaignId: campaign.id, merchantWhitelist: [listed.merchant.id] });
      const c = await f.citizen();
      const v = await rf.voucher(batch.id, { citizenId: c.id });
      const res = await api.request('GET', `/api/v1/me/vouchers/${v.id}`, { token: c.token });
      expect(res.body.rules).toMatchObject({ whitelistedMerchants: 1, storeCount: 3 });
    });
  });

  describe('cashier and owner', () => {
    it("shows today's redemptions and refunds at my store with totals, and the owner's view across stores", async () => {
      const s = await rf.scene({ merchant: { stores: 2 }, batch: { perCitizenLimit: 5 } });
      const [other] = s.otherCashiers;
      const v2 = await rf.voucher(s.batch.id);
      const v3 = await rf.voucher(s.batch.id);
      const r1 = await redeem(s, s.voucher.id, 12800);
      const r2 = await redeem(s, v2.id, 20000);
      const r3 = await redeem(s, v3.id, 15000, other);
      expect([r1.status, r2.status, r3.status]).toEqual([201, 201, 201]);
      // A full refund of r1 at the other store; a partial refund of r2 at mine that keeps it.
      const refund = (id: number, amount: number, cashier = s.cashier) =>
        api.request('POST', `/api/v1/redemptions/${id}/refunds`, {
          token: f.token(cashier),
          body: { refundAmountFen: amount, storeId: cashier.storeId },
          headers: { 'idempotency-key': rf.key() },
        });
      expect((await refund(r1.body.id, 12800, other)).status).toBe(201);
      expect((await refund(r2.body.id, 5000)).status).toBe(201);

      const till = await api.request('GET', '/api/v1/till/day', { token: s.cashierToken });
      expect(till.status).toBe(200);
      expect(till.body).toMatchObject({ day: '2020-07-10', storeId: s.cashier.storeId });
      expect(till.body.totals).toEqual({
        redemptions: 2,
        orderAmountFen: 32800,
        discountFen: 6000,
        reversed: 1,
        netOrderAmountFen: 15000,
        netDiscountFen: 3000,
        refunds: 1,
        refundAmountFen: 5000,
      });
      expect(till.body.redemptions.map((r: any) => r.id).sort()).toEqual([r1.body.id, r2.body.id].sort());

      const owner = await api.request('GET', '/api/v1/merchant/day', { token: s.ownerToken });
      expect(owner.status).toBe(200);
      expect(owner.body.totals).toMatchObject({
        redemptions: 3,
        orderAmountFen: 47800,
        refunds: 2,
        refundAmountFen: 17800,
      });
      expect(owner.body.perStore).toHaveLength(2);
      const otherStore = owner.body.perStore.find((p: any) => p.storeId === other.storeId);
      expect(otherStore).toMatchObject({ redemptions: 1, refunds: 1, refundAmountFen: 12800 });
      const one = await api.request('GET', `/api/v1/merchant/day?storeId=${other.storeId}`, {
        token: s.ownerToken,
      });
      expect(one.body.totals).toMatchObject({ redemptions: 1, refunds: 1 });

      const yesterday = await api.request('GET', '/api/v1/till/day?day=2020-07-09', {
        token: s.cashierToken,
      });
      expect(yesterday.body.totals.redemptions).toBe(0);
      const badDay = await api.request('GET', '/api/v1/till/day?day=2020-13-01', { token: s.cashierToken });
      expect(badDay.status).toBe(400);
      const citizen = await api.request('GET', '/api/v1/till/day', { token: s.citizen.token });
      expect(citizen.status).toBe(403);
    });

    it("keeps another merchant's day out of mine", async () => {
      const a = await rf.scene();
      const b = await rf.scene();
      expect((await redeem(a, a.voucher.id, 12800)).status).toBe(201);
      const res = await api.request('GET', '/api/v1/merchant/day', { token: b.ownerToken });
      expect(res.body.totals.redemptions).toBe(0);
      const sneaky = await api.request('GET', `/api/v1/merchant/day?storeId=${a.cashier.storeId}`, {
        token: b.ownerToken,
      });
      expect(sneaky.body.totals.redemptions).toBe(0);
    });
  });
});
