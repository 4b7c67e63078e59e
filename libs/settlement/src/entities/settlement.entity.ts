import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { LedgerAccount, PayoutStatus, StatementStatus } from '@jinli/contracts';
import { Fen, MoneyColumn } from '@jinli/platform';

/** One settlement of a range of business days: the daily T+1 run, or one started by finance. */
@Entity('settlement_run')
export class SettlementRunEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('text', { default: 'manual' })
  kind: 'daily' | 'manual';

  /** Part of every chunk job id, so ids stay unique even if run ids are ever reused. */
  @Column('uuid')
  token: string;

  @Column('integer', { default: 0 })
  chunkCount: number;

  @Column('integer', { default: 0 })
  chunksDone: number;

  @Column('integer', { default: 0 })
  statementCount: number;

  @Column('integer', { default: 0 })
  lineCount: number;

  @Column('integer', { default: 0 })
  deferredCount: number;

  @Column('text', { nullable: true })
  error: string | null;

  @Column('date')
  fromDay: string;

  @Column('date')
  toDay: string;

  @Column('integer', { nullable: true })
  startedBy: number | null;

  @Column('text', { default: 'running' })
  status: 'running' | 'completed' | 'failed';

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  completedAt: Date | null;
}

/** A range of merchants of one run, settled in one transaction by one job. */
@Entity('settlement_chunk')
export class SettlementChunkEntity {
  @PrimaryColumn('bigint')
  runId: number;

  @PrimaryColumn('integer')
  seq: number;

  @Column('integer')
  merchantFrom: number;

  @Column('integer')
  merchantTo: number;

  @Column('text', { default: 'pending' })
  status: 'pending' | 'done' | 'failed';

  @Column('integer', { default: 0 })
  statementCount: number;

  @Column('integer', { default: 0 })
  lineCount: number;

  @Column('integer', { default: 0 })
  deferredCount: number;

  @Column('text', { nullable: true })
  error: string | null;

  @Column('timestamptz', { nullable: true })
  completedAt: Date | null;
}

/** What one funder owes one merchant for one business day. */
@Entity('settlement_statement')
export class SettlementStatementEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('bigint')
  runId: number;

  @Column('integer')
  merchantId: number;

  @Column('integer')
  funderId: number;

  @Column('date')
  businessDay: string;

  @Column('text', { default: 'draft' })
  status: StatementStatus;

  @MoneyColumn({ default: 0 })
  totalFen: Fen;

  @Column('integer', { default: 0 })
  lineCount: number;

  @Column('text', { nullable: true })
  reason: string | null;

  @Column('integer', { nullable: true })
  startedBy: number | null;

  @Column('integer', { nullable: true })
  reviewedBy: number | null;

  @Column('timestamptz', { nullable: true })
  reviewedAt: Date | null;

  @Column('bigint', { nullable: true })
  payoutId: number | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}

/** A redemption part (positive) or a reversal (negative) on a statement. */
@Entity('statement_line')
export class StatementLineEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('bigint')
  statementId: number;

  @Column('text')
  kind: 'part' | 'reversal';

  @Column('bigint', { nullable: true })
  redemptionPartId: number | null;

  @Column('bigint', { nullable: true })
  reversalId: number | null;

  @MoneyColumn()
  amountFen: Fen;

  @Column('boolean', { default: false })
  released: boolean;
}

@Entity('payout')
export class PayoutEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('text', { default: 'exported' })
  status: PayoutStatus;

  @MoneyColumn()
  totalFen: Fen;

  @Column('integer')
  statementCount: number;

  /** The paying funder when the payout is scoped to one (its bank account pays the file). */
  @Column('integer', { nullable: true })
  funderId: number | null;

  @Column('integer')
  createdBy: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  paidAt: Date | null;

  @Column('integer', { nullable: true })
  paidBy: number | null;

  @Column('text', { nullable: true })
  bankReference: string | null;

  /** What the bank paid when marked paid: the total less the failed transfers. */
  @MoneyColumn({ nullable: true })
  paidFen: Fen | null;

  @Column('timestamptz', { nullable: true })
  cancelledAt: Date | null;

  @Column('integer', { nullable: true })
  cancelledBy: number | null;

  @Column('text', { nullable: true })
  cancelReason: string | null;

  /** First download of the bank file (CSV or XLSX): from then on the file may be at the bank. */
  @Column('timestamptz', { nullable: true })
  fileDownloadedAt: Date | null;

  @Column('integer', { default: 0 })
  fileDownloadCount: number;
}

/** A transfer of an exported payout that the bank could not make: its statements went back to approved. */
@Entity('payout_failed_row')
export class PayoutFailedRowEntity {
  @PrimaryColumn('bigint')
  payoutId: number;

  @PrimaryColumn('integer')
  funderId: number;

  @PrimaryColumn('integer')
  merchantId: number;

  @MoneyColumn()
  amountFen: Fen;

  @Column('bigint', { array: true })
  statementIds: number[];

  @Column('text')
  reason: string;

  @Column('integer')
  recordedBy: number;

  @Column('timestamptz')
  recordedAt: Date;
}

@Entity('ledger_journal')
export class LedgerJournalEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('text')
  kind: string;

  @Column('text')
  refType: string;

  @Column('bigint')
  refId: number;

  @Column('timestamptz')
  createdAt: Date;
}

/** Debits positive, credits negative; each journal sums to zero. */
@Entity('ledger_entry')
export class LedgerEntryEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('bigint')
  journalId: number;

  @Column('text')
  account: LedgerAccount;

  @Column('integer', { nullable: true })
  funderId: number | null;

  @Column('integer', { nullable: true })
  merchantId: number | null;

  @MoneyColumn()
  amountFen: Fen;
}
