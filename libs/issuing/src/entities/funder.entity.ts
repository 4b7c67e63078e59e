import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { FunderKind, LifecycleStatus } from '@jinli/contracts';
import { Fen, MoneyColumn } from '@jinli/platform';

/** Who pays: the city, a district, or a company co-funding a campaign. */
@Entity('funder')
export class FunderEntity {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('text')
  name: string;

  @Column('text')
  kind: FunderKind;

  @Column('text', { nullable: true })
  district: string | null;

  @MoneyColumn()
  budgetFen: Fen;

  /** Subsidy owed by live redemptions, net of reversals. */
  @MoneyColumn({ default: 0 })
  committedFen: Fen;

  @Column('text', { default: 'draft' })
  status: LifecycleStatus;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
