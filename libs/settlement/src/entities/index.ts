import {
  LedgerEntryEntity,
  LedgerJournalEntity,
  PayoutEntity,
  SettlementRunEntity,
  SettlementStatementEntity,
  StatementLineEntity,
} from './settlement.entity';

export * from './settlement.entity';
export const SETTLEMENT_ENTITIES = [
  SettlementRunEntity,
  SettlementStatementEntity,
  StatementLineEntity,
  PayoutEntity,
  LedgerJournalEntity,
  LedgerEntryEntity,
];
