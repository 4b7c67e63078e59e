import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { StaffRole } from '@jinli/contracts';

@Entity('staff_account')
export class StaffAccountEntity {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('text')
  username: string;

  @Column('text', { select: false })
  passwordHash: string;

  @Column('text')
  role: StaffRole;

  @Column('text')
  displayName: string;

  @Column('text', { nullable: true })
  phone: string | null;

  /** Merchant owners and cashiers belong to one merchant. */
  @Column('integer', { nullable: true })
  merchantId: number | null;

  /** A cashier's home store. */
  @Column('integer', { nullable: true })
  storeId: number | null;

  @Column('boolean', { default: true })
  active: boolean;

  @Column('integer', { default: 0 })
  failedAttempts: number;

  @Column('timestamptz', { nullable: true })
  lockedUntil: Date | null;

  @Column('timestamptz', { nullable: true })
  lastLoginAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
