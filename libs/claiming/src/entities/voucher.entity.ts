import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { VoucherStatus } from '@jinli/contracts';

/** One claimed voucher, owned by one citizen. Never deleted. */
@Entity('voucher')
export class VoucherEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('integer')
  batchId: number;

  @Column('integer')
  roundId: number;

  @Column('integer')
  citizenId: number;

  /** 1..perCitizenLimit: the n-th voucher of this batch the citizen holds. */
  @Column('smallint')
  slot: number;

  @Column('text', { default: 'claimed' })
  status: VoucherStatus;

  @Column('timestamptz')
  claimedAt: Date;

  @Column('timestamptz')
  validFrom: Date;

  @Column('timestamptz')
  validUntil: Date;

  @Column('timestamptz', { nullable: true })
  statusChangedAt: Date | null;

  @Column('boolean', { default: false })
  quotaReturned: boolean;
}
