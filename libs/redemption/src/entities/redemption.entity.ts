import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { RedemptionStatus } from '@jinli/contracts';
import { Fen, MoneyColumn } from '@jinli/platform';

/** One voucher applied to one order at one merchant. */
@Entity('redemption')
export class RedemptionEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('bigint')
  voucherId: number;

  @Column('integer')
  batchId: number;

  @Column('integer')
  campaignId: number;

  @Column('integer')
  merchantId: number;

  @Column('integer')
  storeId: number;

  @Column('integer')
  cashierId: number;

  @Column('integer')
  citizenId: number;

  @MoneyColumn()
  orderAmountFen: Fen;

  @MoneyColumn()
  discountFen: Fen;

  /** Order amount net of partial refunds that kept the redemption: the consumption driven. */
  @MoneyColumn()
  netOrderAmountFen: Fen;

  @Column('text', { default: 'active' })
  status: RedemptionStatus;

  @Column('timestamptz')
  redeemedAt: Date;

  /** YYYY-MM-DD in the business time zone. */
  @Column('date')
  businessDay: string;

  @Column('timestamptz', { nullable: true })
  reversedAt: Date | null;

  /** The till's order reference, when it names the order: at most one live redemption per order (uq_redemption_live_order). */
  @Column('text', { nullable: true })
  orderRef: string | null;
}

/** A funder's part of a redemption's subsidy. The parts of a redemption sum to its discount. */
@Entity('redemption_part')
export class RedemptionPartEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('bigint')
  redemptionId: number;

  @Column('integer')
  funderId: number;

  @Column('integer')
  merchantId: number;

  @Column('date')
  businessDay: string;

  @MoneyColumn()
  amountFen: Fen;
}

export type RefundOutcome = 'reversed_restored' | 'reversed_voided' | 'kept';

@Entity('refund')
export class RefundEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('bigint')
  redemptionId: number;

  @Column('integer')
  merchantId: number;

  @Column('integer')
  storeId: number;

  @Column('integer')
  cashierId: number;

  @MoneyColumn()
  refundAmountFen: Fen;

  @MoneyColumn()
  orderAmountAfterFen: Fen;

  @Column('text')
  outcome: RefundOutcome;

  @Column('text', { nullable: true })
  reason: string | null;

  @Column('timestamptz')
  refundedAt: Date;

  @Column('date')
  businessDay: string;
}

/** The claw-back of one redemption part after a reversing refund. */
@Entity('reversal')
export class ReversalEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('bigint')
  redemptionPartId: number;

  @Column('bigint')
  refundId: number;

  @Column('integer')
  funderId: number;

  @Column('integer')
  merchantId: number;

  @Column('date')
  businessDay: string;

  @MoneyColumn()
  amountFen: Fen;

  @Column('timestamptz')
  createdAt: Date;
}
