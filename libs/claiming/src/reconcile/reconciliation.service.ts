import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Actor, AppConfig, APP_CONFIG, AuditService, Clock } from '@jinli/platform';
import { ClaimingException } from '../claiming.exception';
import { ClaimGate } from '../gate/claim-gate.service';
import { parsePendingMember } from '../gate/claim-keys';
import { CounterLoader } from '../gate/counter-loader.service';
import { SoldOutBoard } from '../sold-out/sold-out-board.service';

export interface ReconcileReport {
  batches: number;
  /** Batches whose counters were (re)built from PostgreSQL: missing in Redis, drifted, or asked for. */
  rebuilt: number[];
  /** Old reservations whose row exists: removed from the pending set. */
  confirmed: number;
  /** Old reservations without a row: their quota and slot returned. */
  released: number;
  drifted: number[];
  /**
   * Batches whose old reservations could not all be settled in this run (their counters could not
   * be loaded); the next run tries again.
   */
  unfinished: number[];
}

/**
 * Repairs the gate from PostgreSQL, the system of record. Runs every minute in the worker and on
 * demand (operator route):
 * - a batch whose `loaded` marker is missing (Redis lost its data) is rebuilt from PostgreSQL;
 * - a reservation older than the grace period (CLAIM_RECONCILE_GRACE_S) without a voucher row
 *   (the process died between reserving and writing) is released; one with a row is confirmed;
 * - a quiet batch (nothing pending) whose Redis counters disagree with PostgreSQL is rebuilt.
 * When the counters vanish under it (evicted, or being rebuilt elsewhere), it loads them and goes on;
 * if they still cannot be loaded it leaves that batch for the next run instead of spinning.
 * The grace is far longer than a write can take (writes older than a quarter of it are refused and
 * statements time out after 30 s), so a reservation is never released while its row may still commit.
 */
@Injectable()
export class ReconciliationService {
  private readonly log = new Logger(ReconciliationService.name);
  private readonly graceMs: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly gate: ClaimGate,
    private readonly loader: CounterLoader,
    private readonly board: SoldOutBoard,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.graceMs = config.claiming.reconcileGraceS * 1000;
  }

  async reconcile(
    options: { batchId?: number; rebuild?: boolean; actor?: Actor } = {},
  ): Promise<ReconcileReport> {
    if (options.batchId !== undefined) {
      const found = (await this.dataSource.query('SELECT 1 FROM voucher_batch WHERE id = $1', [
        options.batchId,
      ])) as unknown[];
      if (found.length === 0)
        throw new ClaimingException('BATCH_NOT_FOUND', `Batch ${options.batchId} was not found`);
    }
    const ids =
      options.batchId !== undefined
        ? [options.batchId]
        : (
            (await this.dataSource.query(
              `SELECT b.id FROM voucher_batch b JOIN campaign c ON c.id = b.campaign_id
                WHERE b.status IN ('published', 'paused') AND c.status IN ('published', 'paused') ORDER BY b.id`,
            )) as { id: number }[]
          ).map((r) => r.id);
    const report: ReconcileReport = {
      batches: ids.length,
      rebuilt: [],
      confirmed: 0,
      released: 0,
      drifted: [],
      unfinished: [],
    };
    for (const id of ids) {
      try {
        await this.reconcileBatch(id, options.rebuild === true, report);
      } catch (e) {
        this.log.error(`reconciling batch ${id}: ${(e as Error).message}`);
      }
    }
    if (
      report.rebuilt.length ||
      report.released ||
      report.drifted.length ||
      report.unfinished.length ||
      options.actor
    ) {
      await this.audit.record({
        actor: options.actor ?? null,
        action: 'claiming.reconcile',
        entityType: options.batchId !== undefined ? 'voucher_batch' : undefined,
        entityId: options.batchId,
        details: { ...report },
      });
    }
    return report;
  }

  private async reconcileBatch(batchId: number, rebuild: boolean, report: ReconcileReport): Promise<void> {
    if (rebuild || !(await this.gate.isLoaded(batchId))) {
      await this.loader.rebuild(batchId);
      report.rebuilt.push(batchId);
      this.board.clear(batchId);
    }
    const before = this.clock.nowMs() - this.graceMs;
    let changed = false;
    // Each pass must settle entries it has not seen before, else the batch is left for the next run:
    // a pass that cannot settle its entries would get the same ones back and spin.
    const seen = new Set<string>();
    const stop = () => {
      report.unfinished.push(batchId);
      this.log.warn(`batch ${batchId}: old reservations could not be settled; left for the next run`);
      if (changed) this.board.clear(batchId);
    };
    for (;;) {
      const stale = await this.gate.stalePending(batchId, before, 500);
      if (stale.length === 0) break;
      const fresh = stale.filter((m) => !seen.has(m));
      if (fresh.length === 0) return stop();
      for (const m of fresh) seen.add(m);
      const parsed = fresh.map((m) => ({ member: m, ...parsePendingMember(m) }));
      const rows = (await this.dataSource.query(
        `SELECT citizen_id, slot FROM voucher WHERE batch_id = $1 AND (citizen_id, slot) IN
           (SELECT * FROM unnest($2::int[], $3::smallint[]))`,
        [batchId, parsed.map((p) => p.citizenId), parsed.map((p) => p.slot)],
      )) as { citizen_id: number; slot: number }[];
      const exists = new Set(rows.map((r) => `${r.citizen_id}:${r.slot}`));
      const withRow = parsed.filter((p) => exists.has(`${p.citizenId}:${p.slot}`)).map((p) => p.member);
      let settled = true;
      if (withRow.length) {
        if ((await this.loadedOr(batchId, () => this.gate.confirm(batchId, withRow))) === -1) settled = false;
        else report.confirmed += withRow.length;
      }
      for (const p of parsed.filter((x) => settled && !exists.has(`${x.citizenId}:${x.slot}`))) {
        const released = await this.loadedOr(batchId, () =>
          this.gate.release(batchId, p.citizenId, p.slot, p.roundSeq),
        );
        if (released === -1) {
          settled = false;
          break;
        }
        if (released === 1) {
          report.released += 1;
          changed = true;
          this.log.warn(`batch ${batchId}: released reservation ${p.member} left without a voucher row`);
        }
      }
      if (!settled) return stop();
    }
    if (changed) this.board.clear(batchId);
    if (!rebuild && (await this.drifted(batchId))) {
      report.drifted.push(batchId);
      await this.loader.rebuild(batchId);
      report.rebuilt.push(batchId);
      this.board.clear(batchId);
    }
  }

  /**
   * Runs a gate call that answers -1 when the counters are not loaded (evicted from Redis, or a
   * rebuild elsewhere is in progress); then loads them (or waits for whoever is loading) and runs it
   * once more. -1 again, or loading failed: -1, the caller stops for this batch.
   */
  private async loadedOr(batchId: number, call: () => Promise<number>): Promise<number> {
    const first = await call();
    if (first !== -1) return first;
    try {
      await this.loader.ensureLoaded(batchId);
    } catch (e) {
      this.log.warn(`batch ${batchId}: loading counters: ${(e as Error).message}`);
      return -1;
    }
    return call();
  }

  /** Counters differ from PostgreSQL while nothing is in flight. */
  private async drifted(batchId: number): Promise<boolean> {
    if ((await this.gate.pendingCount(batchId)) > 0) return false;
    // PostgreSQL first, then Redis: a claim reserved in between shows up as pending below.
    const [b] = (await this.dataSource.query(
      `SELECT issued_count, returned_count, quota, created_at FROM voucher_batch WHERE id = $1`,
      [batchId],
    )) as { issued_count: number; returned_count: number; quota: number; created_at: Date }[];
    const snap = await this.gate.snapshot(batchId);
    if (!b || !snap.loaded) return false;
    if ((await this.gate.pendingCount(batchId)) > 0) return false;
    return (
      snap.born !== b.created_at.getTime() ||
      snap.issued !== b.issued_count ||
      snap.returned !== b.returned_count ||
      snap.quota !== b.quota
    );
  }
}
