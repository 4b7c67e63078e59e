import {
  Column,
  CreateDateColumn,
  Entity,
  OneToMany,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  JoinColumn,
  ManyToOne,
} from 'typeorm';
import type { MerchantStatus, StoreStatus } from '@jinli/contracts';

@Entity('merchant')
export class MerchantEntity {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('text')
  name: string;

  @Column('text')
  category: string;

  @Column('text')
  district: string;

  @Column('text', { default: 'pending' })
  status: MerchantStatus;

  @Column('text', { nullable: true })
  rejectReason: string | null;

  @Column('text')
  contactName: string;

  @Column('text')
  contactPhone: string;

  @Column('text')
  bankAccountName: string;

  @Column('text')
  bankName: string;

  @Column('text')
  bankAccountNo: string;

  @Column('timestamptz')
  appliedAt: Date;

  @Column('timestamptz', { nullable: true })
  reviewedAt: Date | null;

  @Column('integer', { nullable: true })
  reviewedBy: number | null;

  @OneToMany(() => StoreEntity, (s) => s.merchant, { cascade: ['insert'] })
  stores: StoreEntity[];

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

@Entity('store')
export class StoreEntity {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('integer')
  merchantId: number;

  @ManyToOne(() => MerchantEntity, (m) => m.stores)
  @JoinColumn({ name: 'merchant_id' })
  merchant?: MerchantEntity;

  @Column('text')
  name: string;

  @Column('text')
  district: string;

  @Column('text', { default: '' })
  address: string;

  @Column('text', { default: 'active' })
  status: StoreStatus;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
