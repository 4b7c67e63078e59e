import {
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  OneToMany,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';
import type { LifecycleStatus } from '@jinli/contracts';
import { Fen, MoneyColumn } from '@jinli/platform';
import { FunderEntity } from './funder.entity';

/** A themed programme with dates, a budget and funders sharing its cost. */
@Entity('campaign')
export class CampaignEntity {
  @PrimaryGeneratedColumn('identity', { generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('text')
  name: string;

  @Column('text', { default: '' })
  description: string;

  @Column('timestamptz')
  startsAt: Date;

  @Column('timestamptz')
  endsAt: Date;

  @MoneyColumn()
  budgetFen: Fen;

  @Column('text', { default: 'draft' })
  status: LifecycleStatus;

  /** First publish; a campaign ended without one never allocated its funders' budgets. */
  @Column('timestamptz', { nullable: true })
  publishedAt: Date | null;

  @VersionColumn()
  version: number;

  @OneToMany(() => CampaignFunderEntity, (f) => f.campaign, { cascade: true })
  funders: CampaignFunderEntity[];

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** A funder's share of a campaign, in basis points (10,000 = 100%). */
@Entity('campaign_funder')
export class CampaignFunderEntity {
  @PrimaryColumn('integer')
  campaignId: number;

  @PrimaryColumn('integer')
  funderId: number;

  @Column('integer')
  shareBp: number;

  @ManyToOne(() => CampaignEntity, (c) => c.funders, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'campaign_id' })
  campaign: CampaignEntity;

  @ManyToOne(() => FunderEntity)
  @JoinColumn({ name: 'funder_id' })
  funder: FunderEntity;
}
