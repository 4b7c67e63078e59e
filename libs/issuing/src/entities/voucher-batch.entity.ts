import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  OneToMany,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';
import type { LifecycleStatus, RefundPolicy, ValidityKind } from '@jinli/contracts';
import { Fen, MoneyColumn } from '@jinli/platform';
import { CampaignEntity } from './campaign.entity';

export interface UsageWindow {
  /** HH:mm in the business time zone. */
  start: string;
  /** HH:mm; at or before `start` means the window crosses midnight (20:30-02:00). */
  end: string;
}

/** The shape of a voucher within a campaign: 满100减30, where, when, how many. */
@Entity('voucher_batch')
export class VoucherBatchEntity {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('integer')
  campaignId: number;

  @ManyToOne(() => CampaignEntity)
  @JoinColumn({ name: 'campaign_id' })
  campaign?: CampaignEntity;

  @Column('text')
  name: string;

  @Column('text', { default: '' })
  description: string;

  @MoneyColumn()
  faceValueFen: Fen;

  /** Minimum order amount (满 X). */
  @MoneyColumn()
  thresholdFen: Fen;

  /** Category codes allowed; empty means every category. */
  @Column('text', { array: true, default: () => "'{}'" })
  allowedCategories: string[];

  /** District codes allowed; empty means every district. */
  @Column('text', { array: true, default: () => "'{}'" })
  allowedDistricts: string[];

  /** When not empty, only these merchants may redeem. */
  @Column('integer', { array: true, default: () => "'{}'" })
  merchantWhitelist: number[];

  @Column('text')
  validityKind: ValidityKind;

  @Column('timestamptz', { nullable: true })
  validFrom: Date | null;

  @Column('timestamptz', { nullable: true })
  validUntil: Date | null;

  /** For relative validity: valid for N days after the claim. */
  @Column('integer', { nullable: true })
  validDays: number | null;

  @Column('jsonb', { default: () => "'[]'" })
  usageWindows: UsageWindow[];

  @Column('integer')
  quota: number;

  /** Maintained by a database trigger on voucher inserts; never written by code. */
  @Column({ type: 'integer', default: 0, update: false, insert: false })
  issuedCount: number;

  @Column('integer', { default: 0 })
  returnedCount: number;

  @Column('integer', { default: 1 })
  perCitizenLimit: number;

  /** Always 1 (ck_batch_vouchers_per_order): Jinli takes one voucher per order, see docs/redemption.md. */
  @Column('integer', { default: 1 })
  vouchersPerOrder: number;

  /** Only real-name verified citizens may claim. */
  @Column('boolean', { default: false })
  requiresVerified: boolean;

  /** Quota left in a round is added to the next one. */
  @Column('boolean', { default: true })
  rollOverUnclaimed: boolean;

  /** Quota of vouchers that expire unredeemed returns to a later round. */
  @Column('boolean', { default: false })
  recycleExpired: boolean;

  @Column('text', { default: 'restore_if_valid' })
  refundPolicy: RefundPolicy;

  @Column('text', { default: 'draft' })
  status: LifecycleStatus;

  @Column('timestamptz', { nullable: true })
  publishedAt: Date | null;

  @VersionColumn()
  version: number;

  @OneToMany(() => ClaimRoundEntity, (r) => r.batch, { cascade: true })
  rounds: ClaimRoundEntity[];

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** A claim round: from its opening time, up to its quota (plus what earlier rounds left). */
@Entity('claim_round')
export class ClaimRoundEntity {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('integer')
  batchId: number;

  @ManyToOne(() => VoucherBatchEntity, (b) => b.rounds, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'batch_id' })
  batch?: VoucherBatchEntity;

  @Column('integer')
  seq: number;

  @Column('timestamptz')
  opensAt: Date;

  @Column('timestamptz', { nullable: true })
  closesAt: Date | null;

  @Column('integer')
  quota: number;

  @Column('integer', { default: 0 })
  carriedIn: number;

  /** Quota this round handed to another round (roll-over); written by the claim writer's SQL only. */
  @Column({ type: 'integer', default: 0, update: false, insert: false })
  carriedOut: number;

  /** Maintained by a database trigger on voucher inserts. */
  @Column({ type: 'integer', default: 0, update: false, insert: false })
  issuedCount: number;
}
