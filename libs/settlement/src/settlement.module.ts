import { Module } from '@nestjs/common';
import { LedgerService } from './ledger/ledger.service';
import { OutboxProcessor } from './outbox/outbox-processor.service';
import { PayoutService } from './payouts/payout.service';
import { StatementService } from './review/statement.service';
import { SettleChunkService, SettlementHooks } from './runs/settle-chunk.service';
import { SettlementRunService } from './runs/settlement-run.service';
import { SettlementProcessor } from './settlement.processor';

const services = [
  LedgerService,
  OutboxProcessor,
  SettlementHooks,
  SettleChunkService,
  SettlementRunService,
  StatementService,
  PayoutService,
];

/** Settlement runs, statement review, payouts, the ledger and the outbox processor. */
@Module({ providers: [...services, SettlementProcessor], exports: services })
export class SettlementModule {}
