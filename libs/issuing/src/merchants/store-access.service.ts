import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Role } from '@jinli/contracts';
import { Actor, AuditService, AuditSink, TransactionRunner } from '@jinli/platform';
import { MerchantEntity, StoreEntity } from '../entities';
import { IssuingException } from '../issuing.exception';

export interface StoreContext {
  store: StoreEntity;
  merchant: MerchantEntity;
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
    // One round trip: this runs on every scan at the till.
    const store = await m
      .getRepository(StoreEntity)
      .createQueryBuilder('s')
      .innerJoinAndSelect('s.merchant', 'm')
      .where('s.id = :storeId', { storeId })
      .getOne();
    const merchant: MerchantEntity | null = store?.merchant ?? null;
    const isStaff = actor.role === Role.Cashier || actor.role === Role.MerchantOwner;
    if (!store || !merchant || !isStaff || store.merchantId !== actor.merchantId) {
      // Audited outside the caller's transaction: a refused attempt must be recorded even when the caller rolls back.
      await audit({
        actor,
        action,
        entityType: 'store',
        entityId: storeId,
        outcome: 'denied',
        details: {
          reason: store ? 'store of another merchant' : 'no such store',
          actorMerchantId: actor.merchantId ?? null,
        },
      });
      throw new IssuingException(
        'AUTH_STORE_FORBIDDEN',
        'You can only act for the stores of your own merchant',
        { storeId },
      );
    }
    if (merchant.status !== 'approved') {
      throw new IssuingException(
        'MERCHANT_NOT_APPROVED',
        `The merchant is ${merchant.status}; vouchers cannot be used there`,
      );
    }
    if (store.status !== 'active') throw new IssuingException('STORE_NOT_FOUND', 'This store is closed');
    return { store, merchant };
  }
}
