import { Injectable } from '@nestjs/common';
import { EntityManager, FindOptionsWhere } from 'typeorm';
import { MerchantStatus, Role } from '@jinli/contracts';
import {
  Actor,
  AuditService,
  Clock,
  maskAccountNumber,
  maskPhone,
  StaffAuthService,
  StaffView,
  TransactionRunner,
  StaffAccountEntity,
  staffView,
} from '@jinli/platform';
import { MerchantEntity, StoreEntity } from '../entities';
import { IssuingException } from '../issuing.exception';

export interface StoreInput {
  name: string;
  district: string;
  address?: string;
}

export interface MerchantApplication {
  name: string;
  category: string;
  district: string;
  contactName: string;
  contactPhone: string;
  bankAccountName: string;
  bankName: string;
  bankAccountNo: string;
  stores: StoreInput[];
  owner: { username: string; password: string; displayName: string };
}

export interface StoreView {
  id: number;
  merchantId: number;
  name: string;
  district: string;
  address: string;
  status: string;
}

export interface MerchantView {
  id: number;
  name: string;
  category: string;
  district: string;
  status: MerchantStatus;
  rejectReason: string | null;
  contactName: string;
  contactPhoneMasked: string;
  bankAccountName: string;
  bankName: string;
  bankAccountNoMasked: string;
  appliedAt: string;
  reviewedAt: string | null;
  stores: StoreView[];
}

export function storeView(s: StoreEntity): StoreView {
  return {
    id: s.id,
    merchantId: s.merchantId,
    name: s.name,
    district: s.district,
    address: s.address,
    status: s.status,
  };
}

export function merchantView(m: MerchantEntity): MerchantView {
  return {
    id: m.id,
    name: m.name,
    category: m.category,
    district: m.district,
    status: m.status,
    rejectReason: m.rejectReason,
    contactName: m.contactName,
    contactPhoneMasked: maskPhone(m.contactPhone),
    bankAccountName: m.bankAccountName,
    bankName: m.bankName,
    bankAccountNoMasked: maskAccountNumber(m.bankAccountNo),
    appliedAt: m.appliedAt.toISOString(),
    reviewedAt: m.reviewedAt?.toISOString() ?? null,
    stores: (m.stores ?? []).sort((a, b) => a.id - b.id).map(storeView),
  };
}

/** Merchant enrolment: apply, review, stores and cashiers. */
@Injectable()
export class MerchantService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly staff: StaffAuthService,
    private readonly clock: Clock,
  ) {}

  /** A merchant applies with its stores and an owner account; it waits for an operator's review. */
  async apply(input: MerchantApplication): Promise<{ merchant: MerchantView; owner: StaffView }> {
    if (input.stores.length === 0)
      throw new IssuingException('VALIDATION_FAILED', 'Enrol at least one store');
    return this.tx.run(async (m) => {
      await this.checkCodes(m, input.category, [input.district, ...input.stores.map((s) => s.district)]);
      const repo = m.getRepository(MerchantEntity);
      const merchant = await repo.save(
        repo.create({
          name: input.name.trim(),
          category: input.category,
          district: input.district,
          contactName: input.contactName,
          contactPhone: input.contactPhone,
          bankAccountName: input.bankAccountName,
          bankName: input.bankName,
          bankAccountNo: input.bankAccountNo,
          appliedAt: this.clock.now(),
        }),
      );
      await m.getRepository(StoreEntity).insert(
        input.stores.map((s) => ({
          merchantId: merchant.id,
          name: s.name,
          district: s.district,
          address: s.address ?? '',
        })),
      );
      const owner = await this.staff.create(
        { ...input.owner, role: Role.MerchantOwner, merchantId: merchant.id, phone: input.contactPhone },
        m,
      );
      await this.audit.record(
        {
          actor: { id: owner.id, role: Role.MerchantOwner },
          action: 'merchant.apply',
          entityType: 'merchant',
          entityId: merchant.id,
          details: {
            name: input.name,
            category: input.category,
            district: input.district,
            stores: input.stores.length,
          },
        },
        m,
      );
      return { merchant: await this.view(m, merchant.id), owner };
    });
  }

  async approve(actor: Actor, id: number): Promise<MerchantView> {
    return this.review(actor, id, 'approved', null);
  }

  async reject(actor: Actor, id: number, reason: string): Promise<MerchantView> {
    if (!reason.trim())
      throw new IssuingException('VALIDATION_FAILED', 'A rejection needs a reason the merchant can act on');
    return this.review(actor, id, 'rejected', reason.trim());
  }

  async suspend(actor: Actor, id: number, reason: string): Promise<MerchantView> {
    return this.tx.run(async (m) => {
      const merchant = await this.lock(m, id);
      if (merchant.status !== 'approved')
        throw new IssuingException('MERCHANT_NOT_APPROVED', 'Only an approved merchant can be suspended');
      merchant.status = 'suspended';
      merchant.rejectReason = reason;
      await m.getRepository(MerchantEntity).save(merchant);
      await this.audit.record(
        { actor, action: 'merchant.suspend', entityType: 'merchant', entityId: id, details: { reason } },
        m,
      );
      return this.view(m, id);
    });
  }

  async reinstate(actor: Actor, id: number): Promise<MerchantView> {
    return this.tx.run(async (m) => {
      const merchant = await this.lock(m, id);
      if (merchant.status !== 'suspended')
        throw new IssuingException(
          'INVALID_STATUS_TRANSITION',
          'Only a suspended merchant can be reinstated',
        );
      merchant.status = 'approved';
      merchant.rejectReason = null;
      await m.getRepository(MerchantEntity).save(merchant);
      await this.audit.record(
        { actor, action: 'merchant.reinstate', entityType: 'merchant', entityId: id },
        m,
      );
      return this.view(m, id);
    });
  }

  async list(filter: {
    status?: MerchantStatus;
    district?: string;
    category?: string;
    limit?: number;
    offset?: number;
  }) {
    const where: FindOptionsWhere<MerchantEntity> = {};
    if (filter.status) where.status = filter.status;
    if (filter.district) where.district = filter.district;
    if (filter.category) where.category = filter.category;
    const [rows, total] = await this.tx.dataSource.getRepository(MerchantEntity).findAndCount({
      where,
      relations: { stores: true },
      order: { id: 'ASC' },
      take: Math.min(filter.limit ?? 50, 200),
      skip: filter.offset ?? 0,
    });
    return { total, items: rows.map(merchantView) };
  }

  async get(id: number): Promise<MerchantView> {
    return this.view(this.tx.dataSource.manager, id);
  }

  async addStore(actor: Actor, input: StoreInput): Promise<StoreView> {
    const merchantId = this.ownMerchant(actor);
    return this.tx.run(async (m) => {
      const merchant = await this.lock(m, merchantId);
      if (merchant.status === 'rejected' || merchant.status === 'suspended') {
        throw new IssuingException('MERCHANT_NOT_APPROVED', `The merchant is ${merchant.status}`);
      }
      await this.checkCodes(m, undefined, [input.district]);
      const repo = m.getRepository(StoreEntity);
      const store = await repo.save(
        repo.create({ merchantId, name: input.name, district: input.district, address: input.address ?? '' }),
      );
      await this.audit.record(
        { actor, action: 'store.create', entityType: 'store', entityId: store.id, details: { ...input } },
        m,
      );
      return storeView(store);
    });
  }

  /** An owner adds a cashier to one of the merchant's stores (approved merchants only). */
  async addCashier(
    actor: Actor,
    input: { username: string; password: string; displayName: string; storeId: number; phone?: string },
  ): Promise<StaffView> {
    const merchantId = this.ownMerchant(actor);
    return this.tx.run(async (m) => {
      const merchant = await this.lock(m, merchantId);
      if (merchant.status !== 'approved')
        throw new IssuingException(
          'MERCHANT_NOT_APPROVED',
          'Cashiers can be added once the merchant is approved',
        );
      const store = await m.getRepository(StoreEntity).findOneBy({ id: input.storeId });
      if (!store || store.merchantId !== merchantId) {
        throw new IssuingException('STORE_NOT_FOUND', `Store ${input.storeId} is not one of your stores`);
      }
      const cashier = await this.staff.create({ ...input, role: Role.Cashier, merchantId }, m);
      await this.audit.record(
        {
          actor,
          action: 'staff.create_cashier',
          entityType: 'staff_account',
          entityId: cashier.id,
          details: { storeId: input.storeId, username: input.username },
        },
        m,
      );
      return cashier;
    });
  }

  async listStaff(actor: Actor): Promise<StaffView[]> {
    const merchantId = this.ownMerchant(actor);
    const rows = await this.tx.dataSource
      .getRepository(StaffAccountEntity)
      .find({ where: { merchantId }, order: { id: 'ASC' } });
    return rows.map(staffView);
  }

  ownMerchant(actor: Actor): number {
    if (actor.merchantId === undefined)
      throw new IssuingException('FORBIDDEN', 'Only merchant staff can do this');
    return actor.merchantId;
  }

  private async review(
    actor: Actor,
    id: number,
    status: 'approved' | 'rejected',
    reason: string | null,
  ): Promise<MerchantView> {
    return this.tx.run(async (m) => {
      const merchant = await this.lock(m, id);
      if (merchant.status !== 'pending') {
        throw new IssuingException(
          'MERCHANT_NOT_PENDING',
          `The application was already reviewed (${merchant.status})`,
          { status: merchant.status },
        );
      }
      merchant.status = status;
      merchant.rejectReason = reason;
      merchant.reviewedAt = this.clock.now();
      merchant.reviewedBy = actor.id;
      await m.getRepository(MerchantEntity).save(merchant);
      await this.audit.record(
        {
          actor,
          action: status === 'approved' ? 'merchant.approve' : 'merchant.reject',
          entityType: 'merchant',
          entityId: id,
          details: reason ? { reason } : {},
        },
        m,
      );
      return this.view(m, id);
    });
  }

  private async lock(m: EntityManager, id: number): Promise<MerchantEntity> {
    const merchant = await m
      .getRepository(MerchantEntity)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!merchant) throw new IssuingException('MERCHANT_NOT_FOUND', `Merchant ${id} was not found`);
    return merchant;
  }

  private async view(m: EntityManager, id: number): Promise<MerchantView> {
    const merchant = await m
      .getRepository(MerchantEntity)
      .findOne({ where: { id }, relations: { stores: true } });
    if (!merchant) throw new IssuingException('MERCHANT_NOT_FOUND', `Merchant ${id} was not found`);
    return merchantView(merchant);
  }

  private async checkCodes(
    m: EntityManager,
    category: string | undefined,
    districts: string[],
  ): Promise<void> {
    if (category) {
      const rows = (await m.query('SELECT 1 FROM category WHERE code = $1', [category])) as unknown[];
      if (!rows.length)
        throw new IssuingException('BATCH_REFERENCE_UNKNOWN', `Unknown category ${category}`, { category });
    }
    const rows = (await m.query('SELECT code FROM district WHERE code = ANY($1)', [districts])) as {
      code: string;
    }[];
    const bad = [...new Set(districts)].filter((d) => !rows.some((r) => r.code === d));
    if (bad.length)
      throw new IssuingException('BATCH_REFERENCE_UNKNOWN', `Unknown district(s): ${bad.join(', ')}`, {
        districts: bad,
      });
  }
}
