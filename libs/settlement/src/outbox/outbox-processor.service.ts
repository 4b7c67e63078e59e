import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { OutboxTopic } from '@jinli/contracts';
import { Clock, TransactionRunner } from '@jinli/platform';
import { LedgerService } from '../ledger/ledger.service';

/** The outbox rows of one batch, by topic, in id order. */
export interface OutboxBatch {
  ids: number[];
  byTopic: Map<string, number[]>;
}

/**
 * A consumer of outbox rows: it applies a batch set-based, inside the transaction that marks the
 * rows published, so a batch is applied exactly once by every consumer or not at all.
 * Downstream contexts (reporting) register theirs at start-up.
 */
export interface OutboxConsumer {
  readonly name: string;
  readonly topics: readonly string[];
  consume(manager: EntityManager, batch: OutboxBatch, now: Date): Promise<void>;
}

/** One number for the advisory lock that keeps outbox processing single-file. */
const OUTBOX_LOCK = 745_101;

@Injectable()
export class OutboxProcessor implements OnModuleInit {
  private readonly log = new Logger(OutboxProcessor.name);
  private readonly consumers: OutboxConsumer[] = [];

  constructor(
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
    private readonly ledger: LedgerService,
  ) {}

  onModuleInit(): void {
    this.register({
      name: 'ledger',
      topics: [OutboxTopic.RedemptionCreated, OutboxTopic.RedemptionReversed],
      consume: async (m, batch, now) => {
        await this.ledger.postCommitted(m, batch.byTopic.get(OutboxTopic.RedemptionCreated) ?? [], now);
        await this.ledger.postReversed(m, batch.byTopic.get(OutboxTopic.RedemptionReversed) ?? [], now);
      },
    });
  }

  register(consumer: OutboxConsumer): void {
    if (this.consumers.some((c) => c.name === consumer.name))
      throw new Error(`outbox consumer ${consumer.name} is registered twice`);
    this.consumers.push(consumer);
  }

  /** The topics this processor owns: redemption's. Other topics stay for their own processors. */
  readonly topics: string[] = Object.values(OutboxTopic);

  /**
   * Applies the oldest unpublished rows (up to `limit`) and marks them published, in one
   * transaction. Rows committed late with a lower id are simply picked by the next batch.
   * Returns how many rows were applied.
   */
  async processBatch(limit = 2000): Promise<number> {
    return this.tx.run(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [OUTBOX_LOCK]);
      const rows = (await m.query(
        `SELECT id, topic FROM outbox_event
          WHERE published_at IS NULL AND topic = ANY($1::text[]) ORDER BY id LIMIT $2`,
        [this.topics, limit],
      )) as { id: number; topic: string }[];
      if (!rows.length) return 0;
      const batch: OutboxBatch = { ids: rows.map((r) => r.id), byTopic: new Map() };
      for (const r of rows) {
        const list = batch.byTopic.get(r.topic) ?? [];
        list.push(r.id);
        batch.byTopic.set(r.topic, list);
      }
      const now = this.clock.now();
      for (const consumer of this.consumers) {
        const ids = consumer.topics.flatMap((t) => batch.byTopic.get(t) ?? []);
        if (!ids.length) continue;
        await consumer.consume(m, { ids: ids.sort((a, b) => a - b), byTopic: batch.byTopic }, now);
      }
      await m.query(`UPDATE outbox_event SET published_at = $2 WHERE id = ANY($1::bigint[])`, [
        batch.ids,
        now,
      ]);
      return rows.length;
    });
  }

  /** Processes batches until none is left or `budgetMs` has passed. Returns rows applied. */
  async drain(budgetMs = 60_000, limit = 2000): Promise<number> {
    const started = Date.now();
    let total = 0;
    for (;;) {
      const n = await this.processBatch(limit);
      total += n;
      if (n < limit || Date.now() - started > budgetMs) break;
    }
    if (total) this.log.debug(`outbox: applied ${total} rows`);
    return total;
  }

  /** Rows not yet applied (report freshness). */
  async pending(): Promise<number> {
    const [row] = (await this.tx.dataSource.query(
      `SELECT count(*)::bigint AS n FROM outbox_event WHERE published_at IS NULL AND topic = ANY($1::text[])`,
      [this.topics],
    )) as { n: number }[];
    return row.n;
  }
}
