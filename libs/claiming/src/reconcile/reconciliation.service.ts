import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Actor, AppConfig, APP_CONFIG, AuditService, Clock } from '@jinli/platform';
import { ClaimingException } from '../claiming.exception';
import { ClaimGate } from '../gate/claim-gate.service';
import { parsePendingMember } from '../gate/claim-keys';
import { CounterLoader } from '../gate/counter-loader.service';
import { staleStaticFields, staticFields } from '../gate/gate-meta';
import { SoldOutBoard } from '../sold-out/sold-out-board.service';

export interface ReconcileReport {
  batches: number;
  /** Batches whose counters were (re)built from PostgreSQL: missing in Redis, drifted, or asked for. */
  rebuilt: number[];
  /** Old reservations whose row exists: removed from the pending set. */
  confirmed: number;
  /** Old reservations without a row: their quota and slot returned. */
  released: number;
  /** Batches rebuilt because their `issued` counter (quiet batch) or `born` marker disagreed with PostgreSQL. */
  drifted: number[];
  /**
   * Batches whose rules or rounds in Redis (status, limit, rounds, validity, quota, returned)
   * disagreed with PostgreSQL, a refresh after a change having been missed: refreshed, counters kept.
   */
  refreshed: number[];
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
 * - a batch whose rules or rounds in Redis differ from what the loader would write now from
 *   PostgreSQL (a missed refresh after a change) is refreshed; a quiet batch (nothing pending) whose
 *   `issued` counter differs, or whose counters were loaded for another batch of that id, is rebuilt.
 * Live batches are checked, and also those ended (or whose campaign ended) before the campaign's end
 * date while still in Redis: until then stale counters could still let claims through.
 * When the counters vanish under it (evicted, or being rebuilt elsewhere), it loads them and goes on;
 * if they still cannot be loaded it leaves that batch for the next run instead of spinning.
 * The grace is longer than a write can take: a claim older than a quarter of it (counted from before
 * its reservation) is not written, and each statement times out after 30 s, so with the default
 * grace (120 s) the last statement that may hold a row starts within 30 s and ends within 90 s (one
 * retry after a deadlock), and a reservation is never released while its row may still commit.
 * A grace under 120 s (tests) gives that margin up.
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
    const rows =
      options.batchId !== undefined
        ? [{ id: options.batchId, live: true }]
        : ((await this.dataSource.query(
            `SELECT b.id, b.status IN ('published', 'paused') AND c.status IN ('published', 'paused') AS live
               FROM voucher_batch b JOIN campaign c ON c.id = b.campaign_id
              WHERE (b.status IN ('published', 'paused') AND c.status IN ('published', 'paused'))
                 OR ((b.status = 'ended' OR c.status = 'ended') AND c.ends_at > $1)
              ORDER BY b.id`,
            [this.clock.now()],
          )) as { id: number; live: boolean }[]);
    const report: ReconcileReport = {
      batches: rows.length,
      rebuilt: [],
      confirmed: 0,
      released: 0,
      drifted: [],
      refreshed: [],
      unfinished: [],
    };
    for (const { id, live } of rows) {
      try {
        await this.reconcileBatch(id, live, options.rebuild === true, report);
      } catch (e) {
        this.log.error(`reconciling batch ${id}: ${(e as Error).message}`);
      }
    }
    if (
      report.rebuilt.length ||
      report.released ||
      report.drifted.length ||
      report.refreshed.length ||
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

  private async reconcileBatch(
    batchId: number,
    live: boolean,
    rebuild: boolean,
    report: ReconcileReport,
  ): Promise<void> {
    const loaded = await this.gate.isLoaded(batchId);
    // An ended batch not in Redis has nothing stale: a claim would load its current rules.
    if (!live && !loaded) return;
    const rebuilt = rebuild || !loaded;
    if (rebuilt) {
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
    if (!rebuilt) await this.repairDrift(batchId, report);
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

  /**
   * Compares the meta (read once) with what the loader would write now from PostgreSQL. Rules and
   * rounds are compared whether or not claims are in flight (claims do not change them) and a
   * difference is refreshed the way a change is; the `issued` counter only when nothing is pending.
   */
  private async repairDrift(batchId: number, report: ReconcileReport): Promise<void> {
    const pendingBefore = await this.gate.pendingCount(batchId);
    // PostgreSQL first, then Redis: a claim reserved in between shows up as pending below.
    const src = await this.loader.source(batchId);
    const meta = await this.gate.meta(batchId);
    // Evicted or being rebuilt meanwhile: the next claim or run loads it from PostgreSQL.
    if (meta.loaded === undefined) return;
    const quiet = pendingBefore === 0 && (await this.gate.pendingCount(batchId)) === 0;
    const expected = staticFields(src);
    if (meta.born !== expected.born || (quiet && Number(meta.issued) !== src.issuedCount)) {
      report.drifted.push(batchId);
      await this.loader.rebuild(batchId);
      report.rebuilt.push(batchId);
      this.board.clear(batchId);
      return;
    }
    const stale = staleStaticFields(expected, meta);
    if (stale.length === 0) return;
    this.log.warn(
      `batch ${batchId}: rules in Redis differ from PostgreSQL (${stale.join(', ')}); refreshing`,
    );
    await this.loader.refresh(batchId);
    report.refreshed.push(batchId);
    this.board.clear(batchId);
  }
}
