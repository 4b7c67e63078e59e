import {
  LedgerEntryEntity,
  LedgerJournalEntity,
  PayoutEntity,
  PayoutFailedRowEntity,
  SettlementChunkEntity,
  SettlementRunEntity,
  SettlementStatementEntity,
  StatementLineEntity,
} from './settlement.entity';

export * from './settlement.entity';
export const SETTLEMENT_ENTITIES = [
  SettlementRunEntity,
  SettlementChunkEntity,
  SettlementStatementEntity,
  StatementLineEntity,
  PayoutEntity,
  PayoutFailedRowEntity,
  LedgerJournalEntity,
  LedgerEntryEntity,
];
