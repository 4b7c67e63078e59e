import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Role } from '@jinli/contracts';
import { Actor, AuditService, AuditSink, preparedQuery, TransactionRunner } from '@jinli/platform';
import { MerchantEntity, StoreEntity } from '../entities';
import { IssuingException } from '../issuing.exception';

export interface StoreContext {
  store: StoreEntity;
  merchant: MerchantEntity;
}

/** The columns StoreAccessService decides on, of store `s` joined to its merchant `m`. */
export const STORE_MERCHANT_COLUMNS = `s.id, s.merchant_id, s.name, s.district, s.address, s.status, s.created_at,
  m.id AS m_id, m.name AS m_name, m.category AS m_category, m.district AS m_district,
  m.status AS m_status, m.reject_reason AS m_reject_reason, m.contact_name AS m_contact_name,
  m.contact_phone AS m_contact_phone, m.bank_account_name AS m_bank_account_name,
  m.bank_name AS m_bank_name, m.bank_account_no AS m_bank_account_no, m.applied_at AS m_applied_at,
  m.reviewed_at AS m_reviewed_at, m.reviewed_by AS m_reviewed_by, m.created_at AS m_created_at,
  m.updated_at AS m_updated_at`;

export interface StoreMerchantRow {
  id: number;
  merchant_id: number;
  name: string;
  district: string;
  address: string;
  status: StoreEntity['status'];
  created_at: Date;
  m_id: number;
  m_name: string;
  m_category: string;
  m_district: string;
  m_status: MerchantEntity['status'];
  m_reject_reason: string | null;
  m_contact_name: string;
  m_contact_phone: string;
  m_bank_account_name: string;
  m_bank_name: string;
  m_bank_account_no: string;
  m_applied_at: Date;
  m_reviewed_at: Date | null;
  m_reviewed_by: number | null;
  m_created_at: Date;
  m_updated_at: Date;
}

function toStore(r: StoreMerchantRow): StoreEntity {
  const merchant = Object.assign(new MerchantEntity(), {
    id: r.m_id,
    name: r.m_name,
    category: r.m_category,
    district: r.m_district,
    status: r.m_status,
    rejectReason: r.m_reject_reason,
    contactName: r.m_contact_name,
    contactPhone: r.m_contact_phone,
    bankAccountName: r.m_bank_account_name,
    bankName: r.m_bank_name,
    bankAccountNo: r.m_bank_account_no,
    appliedAt: r.m_applied_at,
    reviewedAt: r.m_reviewed_at,
    reviewedBy: r.m_reviewed_by,
    createdAt: r.m_created_at,
    updatedAt: r.m_updated_at,
  });
  return Object.assign(new StoreEntity(), {
    id: r.id,
    merchantId: r.merchant_id,
    name: r.name,
    district: r.district,
    address: r.address,
    status: r.status,
    createdAt: r.created_at,
    merchant,
  });
}

/** Decides whether merchant staff may act for a store. Refusals are audited. */
@Injectable()
export class StoreAccessService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
  ) {}

  /**
   * Cashiers and owners act only for stores of their own merchant, and only while the merchant is
   * approved and the store open. A refusal is audited through `audit` (by default straight away, on
   * its own connection).
   */
  async assertStore(
    actor: Actor,
    storeId: number,
    action: string,
    manager?: EntityManager,
    audit: AuditSink = (entry) => this.audit.record(entry),
  ): Promise<StoreContext> {
    const m = manager ?? this.tx.dataSource.manager;
    // One round trip, prepared once per connection: this runs on every scan at the till.
    const [row] = await preparedQuery<StoreMerchantRow>(
      m,
      'jinli_store_access',
      `SELECT ${STORE_MERCHANT_COLUMNS} FROM store s JOIN merchant m ON m.id = s.merchant_id WHERE s.id = $1`,
      [storeId],
    );
    return this.checkStore(actor, storeId, action, row, audit);
  }

  /**
   * The decision of assertStore on a row the caller read itself (STORE_MERCHANT_COLUMNS of store `s`
   * joined to merchant `m`; store columns null or no row when there is no such store).
   */
  async checkStore(
    actor: Actor,
    storeId: number,
    action: string,
    row: StoreMerchantRow | undefined,
    audit: AuditSink = (entry) => this.audit.record(entry),
  ): Promise<StoreContext> {
    const store = row && row.id !== null ? toStore(row) : null;
    const merchant: MerchantEntity | null = store?.merchant ?? null;
    const isStaff = actor.role === Role.Cashier || actor.role === Role.MerchantOwner;
    // Audited outside the caller's transaction: a refused attempt must be recorded even when the caller rolls back.
    const deny = (reason: string) =>
      audit({
        actor,
        action,
        entityType: 'store',
        entityId: storeId,
        outcome: 'denied',
        details: { reason, actorMerchantId: actor.merchantId ?? null },
      });
    if (!store || !merchant || !isStaff || store.merchantId !== actor.merchantId) {
      await deny(store ? 'store of another merchant' : 'no such store');
      throw new IssuingException(
        'AUTH_STORE_FORBIDDEN',
        'You can only act for the stores of your own merchant',
        { storeId },
      );
    }
    if (merchant.status !== 'approved' || store.status !== 'active') {
      await deny(merchant.status !== 'approved' ? `merchant ${merchant.status}` : 'store closed');
      if (merchant.status !== 'approved') {
        throw new IssuingException(
          'MERCHANT_NOT_APPROVED',
          `The merchant is ${merchant.status}; vouchers cannot be used there`,
        );
      }
      throw new IssuingException('STORE_NOT_FOUND', 'This store is closed');
    }
    return { store, merchant };
  }
}
