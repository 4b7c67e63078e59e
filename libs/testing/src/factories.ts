import { Role, StaffRole } from '@jinli/contracts';
import { Actor, StaffAuthService, TokenService } from '@jinli/platform';
import {
  BatchInput,
  BatchService,
  BatchView,
  CampaignService,
  CampaignView,
  FunderService,
  FunderView,
  MerchantService,
} from '@jinli/issuing';
import { TestApi } from './test-api';

let counter = 0;
/** A name no other test (or earlier run in this database) has used. */
export function uniq(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Math.floor(Math.random() * 1e6)}`;
}

/** A mainland mobile number unique within this test run. */
export function uniqPhone(): string {
  counter += 1;
  const n = (process.pid * 7919 + counter * 104729 + Math.floor(Math.random() * 1e5)) % 1e8;
  return `13${process.pid % 10}${String(n).padStart(8, '0')}`;
}

export const HOUR = 3600_000;
export const DAY = 24 * HOUR;

/** Builds domain data through the real services, so factories obey every rule the API does. */
export class Factories {
  readonly operator: Actor = { id: 0, role: Role.Operator };

  constructor(private readonly api: TestApi) {}

  async init(): Promise<this> {
    const [row] = (await this.api.dataSource.query(
      `INSERT INTO staff_account (username, password_hash, role, display_name) VALUES ($1, 'x', 'operator', 'Test operator') RETURNING id`,
      [uniq('op')],
    )) as { id: number }[];
    (this.operator as { id: number }).id = row.id;
    return this;
  }

  token(actor: Actor): string {
    return this.api.get(TokenService).issue(actor, this.api.clock.nowMs()).accessToken;
  }

  get operatorToken(): string {
    return this.token(this.operator);
  }

  async funder(
    overrides: Partial<{ budgetFen: number; publish: boolean; kind: 'city' | 'district' | 'company' }> = {},
  ): Promise<FunderView> {
    const svc = this.api.get(FunderService);
    const f = await svc.create(this.operator, {
      name: uniq('funder'),
      kind: overrides.kind ?? 'city',
      budgetFen: overrides.budgetFen ?? 1_000_000_000,
    });
    return overrides.publish === false ? f : svc.transition(this.operator, f.id, 'publish');
  }

  /** A published campaign running from a day ago for 30 days, funded 70/30 by two new funders. */
  async campaign(
    overrides: Partial<{
      budgetFen: number;
      startsAt: Date;
      endsAt: Date;
      shares: number[];
      publish: boolean;
    }> = {},
  ): Promise<CampaignView> {
    const shares = overrides.shares ?? [7000, 3000];
    const funders = [];
    for (let i = 0; i < shares.length; i++) funders.push(await this.funder());
    const now = this.api.clock.nowMs();
    const svc = this.api.get(CampaignService);
    const c = await svc.create(this.operator, {
      name: uniq('campaign'),
      startsAt: overrides.startsAt ?? new Date(now - DAY),
      endsAt: overrides.endsAt ?? new Date(now + 30 * DAY),
      budgetFen: overrides.budgetFen ?? 100_000_000,
      funders: funders.map((f, i) => ({ funderId: f.id, shareBp: shares[i] })),
    });
    return overrides.publish === false ? c : svc.transition(this.operator, c.id, 'publish');
  }

  /** Input for a 满100减30 batch with one round that opened an hour ago. */
  batchInput(overrides: Partial<BatchInput> = {}): BatchInput {
    const now = this.api.clock.nowMs();
    return {
      name: uniq('batch'),
      faceValueFen: 3000,
      thresholdFen: 10000,
      validity: { kind: 'relative', days: 7 },
      quota: 1000,
      rounds: [{ opensAt: new Date(now - HOUR), quota: 1000 }],
      ...overrides,
    };
  }

  async batch(
    overrides: Partial<BatchInput> & { campaignId?: number; publish?: boolean } = {},
  ): Promise<BatchView> {
    const { campaignId, publish, ...input } = overrides;
    const cid = campaignId ?? (await this.campaign()).id;
    const svc = this.api.get(BatchService);
    const b = await svc.create(this.operator, cid, this.batchInput(input));
    return publish === false ? b : svc.transition(this.operator, b.id, 'publish');
  }

  /** A staff account with a real password, for sign-in tests. Merchant staff come from `merchant()`. */
  async staff(
    role: Extract<StaffRole, 'operator' | 'finance' | 'auditor'>,
    options: { phone?: string } = {},
  ): Promise<{ actor: Actor; username: string; password: string }> {
    const username = uniq(role).replace(/[^A-Za-z0-9_.-]/g, '');
    const password = 'Staff-password-1';
    const view = await this.api.get(StaffAuthService).create({
      username,
      password,
      role,
      displayName: `测试${role}`,
      phone: options.phone ?? null,
    });
    return { actor: { id: view.id, role }, username, password };
  }

  /** An approved merchant with `stores` stores, its owner and one cashier per store. */
  async merchant(options: { category?: string; district?: string; stores?: number; approve?: boolean } = {}) {
    const svc = this.api.get(MerchantService);
    const username = uniq('owner').replace(/[^A-Za-z0-9_.-]/g, '');
    const { merchant, owner } = await svc.apply({
      name: uniq('商户'),
      category: options.category ?? 'catering',
      district: options.district ?? 'gusu',
      contactName: '测试',
      contactPhone: uniqPhone(),
      bankAccountName: '测试有限公司',
      bankName: '测试银行',
      bankAccountNo: '6222021234567890123',
      stores: Array.from({ length: options.stores ?? 1 }, (_, i) => ({
        name: `门店${i + 1}`,
        district: options.district ?? 'gusu',
      })),
      owner: { username, password: 'Owner-password-1', displayName: '店长' },
    });
    const ownerActor: Actor = { id: owner.id, role: Role.MerchantOwner, merchantId: merchant.id };
    const logins: {
      owner: { username: string; password: string };
      cashiers: { username: string; password: string }[];
    } = {
      owner: { username, password: 'Owner-password-1' },
      cashiers: [],
    };
    if (options.approve === false) return { merchant, owner: ownerActor, cashiers: [] as Actor[], logins };
    const approved = await svc.approve(this.operator, merchant.id);
    const cashiers: Actor[] = [];
    for (const store of approved.stores) {
      const cashierName = uniq('cashier').replace(/[^A-Za-z0-9_.-]/g, '');
      const c = await svc.addCashier(ownerActor, {
        username: cashierName,
        password: 'Cashier-password-1',
        displayName: '收银员',
        storeId: store.id,
      });
      cashiers.push({ id: c.id, role: Role.Cashier, merchantId: merchant.id, storeId: store.id });
      logins.cashiers.push({ username: cashierName, password: 'Cashier-password-1' });
    }
    return { merchant: approved, owner: ownerActor, cashiers, logins };
  }

  /** A citizen row and its token, without the SMS round trip. */
  async citizen(
    options: { verified?: boolean } = {},
  ): Promise<{ id: number; phone: string; actor: Actor; token: string }> {
    const phone = uniqPhone();
    const [row] = (await this.api.dataSource.query(
      `INSERT INTO citizen (phone, verified, id_number_hash) VALUES ($1, $2, $3) RETURNING id`,
      [phone, options.verified ?? false, options.verified ? uniq('idhash') : null],
    )) as { id: number }[];
    const actor: Actor = { id: row.id, role: Role.Citizen };
    return { id: row.id, phone, actor, token: this.token(actor) };
  }
}
