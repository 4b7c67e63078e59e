import { Injectable, Module, OnModuleInit } from '@nestjs/common';
import { BatchChanged } from '@jinli/issuing';
import { DomainEvents } from '@jinli/platform';
import { CatalogueService } from './catalogue/catalogue.service';
import { LiveViewService } from './catalogue/live-view.service';
import { BatchRulesCache } from './claim/batch-rules.cache';
import { ClaimWriter } from './claim/claim-writer.service';
import { ClaimService } from './claim/claim.service';
import { ClaimGate } from './gate/claim-gate.service';
import { CounterLoader } from './gate/counter-loader.service';
import { ClaimingJobHandlers } from './jobs/claiming.jobs';
import { NaiveClaimService } from './naive/naive-claim.service';
import { ReconciliationService } from './reconcile/reconciliation.service';
import { QuotaRecyclingService } from './recycling/quota-recycling.service';
import { SoldOutBoard } from './sold-out/sold-out-board.service';

/** Loads a batch's counters into the gate when issuing publishes or changes it. */
@Injectable()
export class BatchChangedListener implements OnModuleInit {
  constructor(
    private readonly events: DomainEvents,
    private readonly loader: CounterLoader,
    private readonly board: SoldOutBoard,
  ) {}

  onModuleInit(): void {
    this.events.on(BatchChanged, async ({ batchId }) => {
      await this.loader.refresh(batchId);
      this.board.clear(batchId);
    });
  }
}

const services = [
  ClaimGate,
  CounterLoader,
  SoldOutBoard,
  BatchRulesCache,
  ClaimWriter,
  ClaimService,
  CatalogueService,
  LiveViewService,
  ReconciliationService,
  QuotaRecyclingService,
  NaiveClaimService,
];

@Module({ providers: [...services, BatchChangedListener, ClaimingJobHandlers], exports: services })
export class ClaimingModule {}
