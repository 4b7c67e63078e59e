import { Role } from '@jinli/contracts';
import { MerchantApplication, MerchantService, StoreAccessService } from '@jinli/issuing';
import { Actor, StaffAuthService } from '@jinli/platform';
import { expectRefusedUnchanged, Factories, TestApi, uniq, uniqPhone } from '@jinli/testing';

describe('issuing: merchant enrolment, review, cashiers and store access (real PostgreSQL)', () => {
  let api: TestApi;
  let f: Factories;
  let merchants: MerchantService;

  beforeAll(async () => {
    api = await TestApi.start({ now: '2020-07-10T10:00:00+08:00' });
    f = await new Factories(api).init();
    merchants = api.get(MerchantService);
  });
  afterAll(() => api.close());

  const refused = (work: () => Promise<unknown>, code: string) =>
    expectRefusedUnchanged<{ message: string; details?: unknown }>(api.dataSource, work, code);
  const username = (p: string) => uniq(p).replace(/[^A-Za-z0-9_.-]/g, '');
  const application = (overrides: Partial<MerchantApplication> = {}): MerchantApplication => ({
    name: uniq('得月楼'),
    category: 'catering',
    district: 'gusu',
    contactName: '王经理',
    contactPhone: uniqPhone(),
    bankAccountName: '苏州得月楼餐饮有限公司',
    bankName: '中国银行苏州分行',
    bankAccountNo: '6217856100012345678',
    stores: [
      { name: '观前店', district: 'gusu', address: '太监弄43号' },
      { name: '园区店', district: 'sip' },
    ],
    owner: { username: username('owner'), password: 'Owner-password-1', displayName: '王经理' },
    ...overrides,
  });
  const ownerOf = (merchantId: number, id: number): Actor => ({ id, role: Role.MerchantOwner, merchantId });

  describe('apply', () => {
    it('records a pending merchant with its stores and an owner who can sign in', async () => {
      const input = application();
      const { merchant, owner } = await merchants.apply(input);
      expect(merchant).toMatchObject({
        status: 'pending',
        rejectReason: null,
        category: 'catering',
        district: 'gusu',
        contactPhoneMasked: `${input.contactPhone.slice(0, 3)}****${input.contactPhone.slice(7)}`,
        bankAccountNoMasked: '****5678',
      });
      expect(merchant.stores.map((s) => [s.name, s.district])).toEqual([
        ['观前店', 'gusu'],
        ['园区店', 'sip'],
      ]);
      expect(owner).toMatchObject({ role: 'merchant_owner', merchantId: merchant.id, storeId: null });
      const signedIn = await api.get(StaffAuthService).signIn(input.owner.username, input.owner.password);
      expect(signedIn.staff.id).toBe(owner.id);
      // What staff see never carries the raw phone or bank account number.
      expect(JSON.stringify(merchant)).not.toContain(input.contactPhone);
      expect(JSON.stringify(merchant)).not.toContain(input.bankAccountNo);
    });

    it('refuses unknown categories and districts, no stores, and a taken username, leaving no trace', async () => {
      await refused(
        () => merchants.apply(application({ category: 'spaceships' })),
        'BATCH_REFERENCE_UNKNOWN',
      );
      const e = await refused(
        () => merchants.apply(application({ stores: [{ name: '海底店', district: 'atlantis' }] })),
        'BATCH_REFERENCE_UNKNOWN',
      );
      expect(e.details).toEqual({ districts: ['atlantis'] });
      await refused(() => merchants.apply(application({ stores: [] })), 'VALIDATION_FAILED');
      const taken = application();
      await merchants.apply(taken);
      // The owner account is created last: the merchant and its stores must roll back with it.
      await refused(
        () =>
          merchants.apply(
            application({ owner: { ...taken.owner, username: taken.owner.username.toUpperCase() } }),
          ),
        'AUTH_USERNAME_TAKEN',
      );
      await refused(
        () =>
          merchants.apply(
            application({ owner: { ...taken.owner, username: username('o'), password: 'short' } }),
          ),
        'VALIDATION_FAILED',
      );
    });
  });

  describe('review', () => {
    it('approves a pending application once', async () => {
      const { merchant } = await merchants.apply(application());
      const approved = await merchants.approve(f.operator, merchant.id);
      expect(approved.status).toBe('approved');
      expect(approved.reviewedAt).toBe(api.clock.now().toISOString());
      const e = await refused(() => merchants.approve(f.operator, merchant.id), 'MERCHANT_NOT_PENDING');
      expect(e.details).toEqual({ status: 'approved' });
      await refused(() => merchants.reject(f.operator, merchant.id, '资料不全'), 'MERCHANT_NOT_PENDING');
      await refused(() => merchants.approve(f.operator, 987_654), 'MERCHANT_NOT_FOUND');
    });

    it('rejects with a reason the merchant can read, and refuses a blank one', async () => {
      const { merchant } = await merchants.apply(application());
      await refused(() => merchants.reject(f.operator, merchant.id, '   '), 'VALIDATION_FAILED');
      const rejected = await merchants.reject(f.operator, merchant.id, ' 营业执照照片不清晰，请重新上传 ');
      expect(rejected).toMatchObject({ status: 'rejected', rejectReason: '营业执照照片不清晰，请重新上传' });
      await refused(() => merchants.approve(f.operator, merchant.id), 'MERCHANT_NOT_PENDING');
      const [audit] = (await api.dataSource.query(
        `SELECT actor_id, action, details FROM audit_log WHERE entity_type = 'merchant' AND entity_id = $1 AND action = 'merchant.reject'`,
        [String(merchant.id)],
      )) as { actor_id: number; action: string; details: unknown }[];
      expect(audit).toEqual({
        actor_id: f.operator.id,
        action: 'merchant.reject',
        details: { reason: '营业执照照片不清晰，请重新上传' },
      });
    });

    it('suspends only an approved merchant, and reinstates a suspended one', async () => {
      const pending = await merchants.apply(application());
      await refused(
        () => merchants.suspend(f.operator, pending.merchant.id, '投诉较多'),
        'MERCHANT_NOT_APPROVED',
      );
      const { merchant, cashiers } = await f.merchant();
      const suspended = await merchants.suspend(f.operator, merchant.id, '多次违规核销');
      expect(suspended).toMatchObject({ status: 'suspended', rejectReason: '多次违规核销' });
      // Staff of a suspended merchant can no longer act for its stores; the attempt is audited.
      await expect(
        api.get(StoreAccessService).assertStore(cashiers[0], merchant.stores[0].id, 'store.view'),
      ).rejects.toMatchObject({ code: 'MERCHANT_NOT_APPROVED' });
      const [denied] = (await api.dataSource.query(
        `SELECT actor_id, action, entity_id, outcome, details->>'reason' AS reason FROM audit_log ORDER BY id DESC LIMIT 1`,
      )) as unknown[];
      expect(denied).toEqual({
        actor_id: cashiers[0].id,
        action: 'store.view',
        entity_id: String(merchant.stores[0].id),
        outcome: 'denied',
        reason: 'merchant suspended',
      });
      await refused(() => merchants.reinstate(f.operator, pending.merchant.id), 'INVALID_STATUS_TRANSITION');
      expect((await merchants.reinstate(f.operator, merchant.id)).status).toBe('approved');
    });
  });

  describe('cashiers', () => {
    it('an approved owner adds a cashier to one of its own stores', async () => {
      const { merchant, owner } = await f.merchant({ stores: 2 });
      const cashier = await merchants.addCashier(owner, {
        username: username('cashier'),
        password: 'Cashier-password-2',
        displayName: '新收银员',
        storeId: merchant.stores[1].id,
        phone: '13912345678',
      });
      expect(cashier).toMatchObject({
        role: 'cashier',
        merchantId: merchant.id,
        storeId: merchant.stores[1].id,
        phoneMasked: '139****5678',
      });
      const staff = await merchants.listStaff(owner);
      expect(staff.map((s) => s.role).sort()).toEqual(['cashier', 'cashier', 'cashier', 'merchant_owner']);
      expect(JSON.stringify(staff)).not.toContain('13912345678');
    });

    it('refuses a store of another merchant, a pending or suspended merchant, and anyone but merchant staff', async () => {
      const mine = await f.merchant();
      const other = await f.merchant();
      const input = (storeId: number) => ({
        username: username('cashier'),
        password: 'Cashier-password-2',
        displayName: '收银员',
        storeId,
      });
      const e = await refused(
        () => merchants.addCashier(mine.owner, input(other.merchant.stores[0].id)),
        'STORE_NOT_FOUND',
      );
      expect(e.message).toBe(`Store ${other.merchant.stores[0].id} is not one of your stores`);
      await refused(() => merchants.addCashier(mine.owner, input(987_654)), 'STORE_NOT_FOUND');

      const pending = await merchants.apply(application());
      await refused(
        () =>
          merchants.addCashier(
            ownerOf(pending.merchant.id, pending.owner.id),
            input(pending.merchant.stores[0].id),
          ),
        'MERCHANT_NOT_APPROVED',
      );
      await merchants.suspend(f.operator, mine.merchant.id, '暂停');
      await refused(
        () => merchants.addCashier(mine.owner, input(mine.merchant.stores[0].id)),
        'MERCHANT_NOT_APPROVED',
      );
      await refused(() => merchants.addCashier(f.operator, input(mine.merchant.stores[0].id)), 'FORBIDDEN');
    });

    it('an owner adds stores while pending or approved, in known districts only', async () => {
      const pending = await merchants.apply(application());
      const owner = ownerOf(pending.merchant.id, pending.owner.id);
      const store = await merchants.addStore(owner, { name: '石路店', district: 'gusu' });
      expect(store).toMatchObject({ merchantId: pending.merchant.id, status: 'active' });
      await refused(
        () => merchants.addStore(owner, { name: '海底店', district: 'atlantis' }),
        'BATCH_REFERENCE_UNKNOWN',
      );
      await merchants.reject(f.operator, pending.merchant.id, '不符合条件');
      await refused(
        () => merchants.addStore(owner, { name: '又一店', district: 'gusu' }),
        'MERCHANT_NOT_APPROVED',
      );
    });
  });

  describe('store access', () => {
    it("lets staff act for their own merchant's stores and refuses, with an audit entry, anyone else's", async () => {
      const a = await f.merchant({ stores: 2 });
      const b = await f.merchant();
      const access = api.get(StoreAccessService);
      // A cashier may act for any store of their own merchant (returns across stores are allowed).
      expect((await access.assertStore(a.cashiers[0], a.merchant.stores[1].id, 'store.view')).store.id).toBe(
        a.merchant.stores[1].id,
      );
      const before = (await api.dataSource.query(`SELECT count(*)::int AS n FROM audit_log`)) as {
        n: number;
      }[];
      await expect(
        access.assertStore(a.cashiers[0], b.merchant.stores[0].id, 'redemption.create'),
      ).rejects.toMatchObject({
        code: 'AUTH_STORE_FORBIDDEN',
      });
      await expect(
        access.assertStore(f.operator, a.merchant.stores[0].id, 'store.view'),
      ).rejects.toMatchObject({
        code: 'AUTH_STORE_FORBIDDEN',
      });
      const rows = (await api.dataSource.query(
        `SELECT actor_id, actor_role, action, entity_type, entity_id, outcome, details FROM audit_log ORDER BY id DESC LIMIT 2`,
      )) as unknown[];
      expect(rows).toEqual([
        {
          actor_id: f.operator.id,
          actor_role: 'operator',
          action: 'store.view',
          entity_type: 'store',
          entity_id: String(a.merchant.stores[0].id),
          outcome: 'denied',
          details: { reason: 'store of another merchant', actorMerchantId: null },
        },
        {
          actor_id: a.cashiers[0].id,
          actor_role: 'cashier',
          action: 'redemption.create',
          entity_type: 'store',
          entity_id: String(b.merchant.stores[0].id),
          outcome: 'denied',
          details: { reason: 'store of another merchant', actorMerchantId: a.merchant.id },
        },
      ]);
      const after = (await api.dataSource.query(`SELECT count(*)::int AS n FROM audit_log`)) as {
        n: number;
      }[];
      expect(after[0].n).toBe(before[0].n + 2);
    });
  });
});
