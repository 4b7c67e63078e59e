import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService, Clock, TransactionRunner } from '@jinli/platform';
import { CounterLoader } from '../gate/counter-loader.service';
import { effectiveEnds } from '../gate/gate-meta';
import { SoldOutBoard } from '../sold-out/sold-out-board.service';

export interface RecycleReport {
  /** Vouchers whose quota went back, per batch. */
  batches: {
    batchId: number;
    vouchers: number;
    toRounds: { roundId: number; seq: number; quota: number }[];
    keptForBatch: number;
  }[];
  vouchers: number;
}

const CHUNK = 5000;

/**
 * Quota recycling (batch setting recycle_expired): an expired, never redeemed voucher gives its
 * quota back once. In one transaction per chunk: the vouchers are marked quota_returned, the batch's
 * returned_count grows (so issued - returned <= quota allows that many more), and the quota is
 * added to the carried_in of the first round after the voucher's own round that has not closed yet;
 * when there is none the quota stays with the batch (an operator can add a round for it). Then the
 * Redis counters are refreshed and every API process forgets its sold-out flag for the batch.
 *
 * The redemption context's expiry job marks vouchers 'expired' and calls recycleExpired afterwards;
 * a worker schedule also runs it.
 */
@Injectable()
export class QuotaRecyclingService {
  private readonly log = new Logger(QuotaRecyclingService.name);

  constructor(
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
    private readonly loader: CounterLoader,
    private readonly board: SoldOutBoard,
    private readonly audit: AuditService,
  ) {}

  async recycleExpired(options: { batchIds?: number[] } = {}): Promise<RecycleReport> {
    const rows = (await this.tx.dataSource.query(
      `SELECT DISTINCT v.batch_id FROM voucher v JOIN voucher_batch b ON b.id = v.batch_id
        WHERE b.recycle_expired AND v.status = 'expired' AND NOT v.quota_returned
          AND ($1::int[] IS NULL OR v.batch_id = ANY($1)) ORDER BY v.batch_id`,
      [options.batchIds ?? null],
    )) as { batch_id: number }[];
    const report: RecycleReport = { batches: [], vouchers: 0 };
    for (const { batch_id: batchId } of rows) {
      const entry = {
        batchId,
        vouchers: 0,
        toRounds: [] as RecycleReport['batches'][number]['toRounds'],
        keptForBatch: 0,
      };
      try {
        for (;;) {
          const chunk = await this.tx.run((m) => this.recycleChunk(m, batchId));
          if (chunk.vouchers === 0) break;
          entry.vouchers += chunk.vouchers;
          entry.keptForBatch += chunk.keptForBatch;
          for (const t of chunk.toRounds) {
            const known = entry.toRounds.find((x) => x.roundId === t.roundId);
            if (known) known.quota += t.quota;
            else entry.toRounds.push({ ...t });
          }
          if (chunk.vouchers < CHUNK) break;
        }
      } finally {
        // Also when a later chunk failed: the quota the committed chunks returned is claimable now.
        if (entry.vouchers > 0) await this.publish(batchId);
      }
      if (entry.vouchers > 0) {
        report.batches.push(entry);
        report.vouchers += entry.vouchers;
      }
    }
    return report;
  }

  /** Tells the gate and every process that the batch has quota back. */
  private async publish(batchId: number): Promise<void> {
    try {
      await this.loader.refresh(batchId);
    } catch (e) {
      // Reconciliation notices the drift and refreshes it from PostgreSQL.
      this.log.warn(`refreshing batch ${batchId} after recycling: ${(e as Error).message}`);
    }
    this.board.clear(batchId);
  }

  private async recycleChunk(m: EntityManager, batchId: number) {
    // Lock order of every writer of these rows: the batch, then its rounds.
    const [batch] = (await m.query(
      `SELECT b.id, c.ends_at FROM voucher_batch b JOIN campaign c ON c.id = b.campaign_id
        WHERE b.id = $1 AND b.recycle_expired FOR UPDATE OF b`,
      [batchId],
    )) as { id: number; ends_at: Date }[];
    if (!batch) return { vouchers: 0, toRounds: [], keptForBatch: 0 };
    const rounds = (await m.query(
      `SELECT id, seq, opens_at, closes_at FROM claim_round WHERE batch_id = $1 ORDER BY seq FOR UPDATE`,
      [batchId],
    )) as { id: number; seq: number; opens_at: Date; closes_at: Date | null }[];
    const vouchers = (await m.query(
      `SELECT v.id, r.seq FROM voucher v JOIN claim_round r ON r.id = v.round_id
        WHERE v.batch_id = $1 AND v.status = 'expired' AND NOT v.quota_returned
        ORDER BY v.id LIMIT ${CHUNK} FOR UPDATE OF v`,
      [batchId],
    )) as { id: number; seq: number }[];
    if (vouchers.length === 0) return { vouchers: 0, toRounds: [], keptForBatch: 0 };

    const now = this.clock.nowMs();
    const ends = effectiveEnds(
      rounds.map((r) => ({
        id: r.id,
        seq: r.seq,
        opensAt: r.opens_at,
        closesAt: r.closes_at,
        quota: 0,
        carriedIn: 0,
        carriedOut: 0,
        issuedCount: 0,
      })),
      batch.ends_at,
    );
    const targets = new Map<number, { roundId: number; seq: number; quota: number }>();
    let kept = 0;
    for (const v of vouchers) {
      const i = rounds.findIndex((r, idx) => r.seq > v.seq && ends[idx] > now);
      if (i < 0) {
        kept += 1;
        continue;
      }
      const t = targets.get(rounds[i].id) ?? { roundId: rounds[i].id, seq: rounds[i].seq, quota: 0 };
      t.quota += 1;
      targets.set(t.roundId, t);
    }
    await m.query(`UPDATE voucher SET quota_returned = true WHERE id = ANY($1)`, [vouchers.map((v) => v.id)]);
    await m.query(
      `UPDATE voucher_batch SET returned_count = returned_count + $2, updated_at = now() WHERE id = $1`,
      [batchId, vouchers.length],
    );
    for (const t of targets.values()) {
      await m.query(`UPDATE claim_round SET carried_in = carried_in + $2 WHERE id = $1`, [
        t.roundId,
        t.quota,
      ]);
    }
    const toRounds = [...targets.values()];
    await this.audit.record(
      {
        action: 'claiming.quota_recycled',
        entityType: 'voucher_batch',
        entityId: batchId,
        details: { vouchers: vouchers.length, toRounds, keptForBatch: kept },
      },
      m,
    );
    return { vouchers: vouchers.length, toRounds, keptForBatch: kept };
  }
}
