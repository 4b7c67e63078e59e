import { performance } from 'node:perf_hooks';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Fen, Clock } from '@jinli/platform';
import { ClaimingException } from '../claiming.exception';
import { ClaimGate } from '../gate/claim-gate.service';
import { CounterLoader } from '../gate/counter-loader.service';
import { GatePhase, GateState, gateState } from '../gate/gate-meta';
import { SoldOutBoard } from '../sold-out/sold-out-board.service';

export interface CatalogueRound {
  seq: number;
  opensAt: string;
  /** When it stops taking claims (its closing time, else the next round's opening, else the campaign end). */
  endsAt: string;
  quota: number;
  state: 'done' | 'open' | 'upcoming';
  /** Vouchers left, for the open round (roll-over included). */
  left: number | null;
}

export interface CatalogueBatch {
  id: number;
  name: string;
  description: string;
  faceValueFen: Fen;
  thresholdFen: Fen;
  allowedCategories: string[];
  allowedDistricts: string[];
  validity: { kind: 'fixed' | 'relative'; from: string | null; until: string | null; days: number | null };
  usageWindows: { start: string; end: string }[];
  perCitizenLimit: number;
  vouchersPerOrder: number;
  requiresVerified: boolean;
  status: string;
  live: {
    phase: GatePhase;
    reason: string | null;
    currentRound: number | null;
    left: number;
    batchLeft: number;
    /** Next opening time (countdown target), if any. */
    opensAt: string | null;
    roundEndsAt: string | null;
  };
  rounds: CatalogueRound[];
  /** Vouchers of this batch the signed-in citizen holds (null when not signed in). */
  held: number | null;
}

export interface CatalogueCampaign {
  id: number;
  name: string;
  description: string;
  startsAt: string;
  endsAt: string;
  status: string;
  batches: CatalogueBatch[];
}

type StaticBatch = Omit<CatalogueBatch, 'live' | 'rounds' | 'held'> & {
  campaignId: number;
  rounds: { seq: number; opensAt: string; quota: number }[];
};
type StaticCampaign = Omit<CatalogueCampaign, 'batches'> & { batches: StaticBatch[] };

const STATIC_TTL_MS = 2000;

type LiveState = GateState & { ends: number[] };

/**
 * What the citizen's H5 page shows: running campaigns and their batches with the rules, the rounds
 * and their live state (from the gate's Redis counters, never by counting vouchers), what the
 * citizen holds, and the server time for countdowns. The static part is cached for two seconds:
 * at a round's opening everyone reloads the page at once.
 */
@Injectable()
export class CatalogueService {
  private cached?: { at: number; value: Promise<StaticCampaign[]> };

  constructor(
    private readonly dataSource: DataSource,
    private readonly gate: ClaimGate,
    private readonly loader: CounterLoader,
    private readonly clock: Clock,
    board: SoldOutBoard,
  ) {
    board.onChange(() => (this.cached = undefined));
  }

  async list(citizenId: number | null): Promise<{ serverTime: string; campaigns: CatalogueCampaign[] }> {
    const campaigns = await this.staticCatalogue();
    const batchIds = campaigns.flatMap((c) => c.batches.map((b) => b.id));
    const [held, live] = await Promise.all([this.held(citizenId, batchIds), this.live(batchIds)]);
    return {
      serverTime: new Date(this.clock.nowMs()).toISOString(),
      campaigns: campaigns.map((c) => ({
        ...c,
        batches: c.batches.map((b) => this.merge(b, live.get(b.id)!, held, citizenId)),
      })),
    };
  }

  async batch(
    batchId: number,
    citizenId: number | null,
  ): Promise<{ serverTime: string; batch: CatalogueBatch }> {
    const campaigns = await this.staticCatalogue();
    const b = campaigns.flatMap((c) => c.batches).find((x) => x.id === batchId);
    if (!b) throw new ClaimingException('BATCH_NOT_FOUND', `Batch ${batchId} is not on offer`);
    const [held, live] = await Promise.all([this.held(citizenId, [batchId]), this.live([batchId])]);
    return {
      serverTime: new Date(this.clock.nowMs()).toISOString(),
      batch: this.merge(b, live.get(batchId)!, held, citizenId),
    };
  }

  private merge(
    b: StaticBatch,
    live: LiveState,
    held: Map<number, number>,
    citizenId: number | null,
  ): CatalogueBatch {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    const { campaignId: _c, rounds, ...rest } = b;
    return {
      ...rest,
      live: {
        phase: live.phase,
        reason: live.reason,
        currentRound: live.currentRound,
        left: live.left,
        batchLeft: live.batchLeft,
        opensAt: iso(live.opensAt),
        roundEndsAt: iso(live.roundEndsAt),
      },
      rounds: rounds.map((r, i) => ({
        seq: r.seq,
        opensAt: r.opensAt,
        endsAt: iso(live.ends[i] ?? null) ?? r.opensAt,
        quota: r.quota,
        state: live.rounds[i]?.state ?? 'upcoming',
        left: live.rounds[i]?.left ?? null,
      })),
      held: citizenId === null ? null : (held.get(b.id) ?? 0),
    };
  }

  private async live(batchIds: number[]): Promise<Map<number, LiveState>> {
    const now = this.clock.nowMs();
    const out = new Map<number, LiveState>();
    await Promise.all(
      batchIds.map(async (id) => {
        let snap = await this.gate.snapshot(id);
        if (!snap.loaded) {
          await this.loader.ensureLoaded(id);
          snap = await this.gate.snapshot(id);
        }
        out.set(id, { ...gateState(snap, now), ends: snap.rounds.map((r) => r.endsAtMs) });
      }),
    );
    return out;
  }

  private async held(citizenId: number | null, batchIds: number[]): Promise<Map<number, number>> {
    if (citizenId === null || batchIds.length === 0) return new Map();
    const rows = (await this.dataSource.query(
      `SELECT batch_id, count(*)::int AS n FROM voucher WHERE citizen_id = $1 AND batch_id = ANY($2) GROUP BY batch_id`,
      [citizenId, batchIds],
    )) as { batch_id: number; n: number }[];
    return new Map(rows.map((r) => [r.batch_id, r.n]));
  }

  private staticCatalogue(): Promise<StaticCampaign[]> {
    if (this.cached && performance.now() - this.cached.at < STATIC_TTL_MS) return this.cached.value;
    const value = this.readStatic();
    this.cached = { at: performance.now(), value };
    value.catch(() => (this.cached = undefined));
    return value;
  }

  private async readStatic(): Promise<StaticCampaign[]> {
    const campaigns = (await this.dataSource.query(
      `SELECT id, name, description, starts_at, ends_at, status FROM campaign
        WHERE status IN ('published', 'paused') ORDER BY starts_at, id`,
    )) as { id: number; name: string; description: string; starts_at: Date; ends_at: Date; status: string }[];
    if (campaigns.length === 0) return [];
    const batches = (await this.dataSource.query(
      `SELECT id, campaign_id, name, description, face_value_fen, threshold_fen, allowed_categories,
              allowed_districts, validity_kind, valid_from, valid_until, valid_days, usage_windows,
              per_citizen_limit, vouchers_per_order, requires_verified, status
         FROM voucher_batch WHERE campaign_id = ANY($1) AND status IN ('published', 'paused', 'ended')
        ORDER BY id`,
      [campaigns.map((c) => c.id)],
    )) as {
      id: number;
      campaign_id: number;
      name: string;
      description: string;
      face_value_fen: number;
      threshold_fen: number;
      allowed_categories: string[];
      allowed_districts: string[];
      validity_kind: 'fixed' | 'relative';
      valid_from: Date | null;
      valid_until: Date | null;
      valid_days: number | null;
      usage_windows: { start: string; end: string }[];
      per_citizen_limit: number;
      vouchers_per_order: number;
      requires_verified: boolean;
      status: string;
    }[];
    const rounds = batches.length
      ? ((await this.dataSource.query(
          `SELECT batch_id, seq, opens_at, quota FROM claim_round WHERE batch_id = ANY($1) ORDER BY batch_id, seq`,
          [batches.map((b) => b.id)],
        )) as { batch_id: number; seq: number; opens_at: Date; quota: number }[])
      : [];
    return campaigns.map((c) => ({
      id: c.id,
      name: c.name,
      description: c.description,
      startsAt: c.starts_at.toISOString(),
      endsAt: c.ends_at.toISOString(),
      status: c.status,
      batches: batches
        .filter((b) => b.campaign_id === c.id)
        .map((b) => ({
          id: b.id,
          campaignId: c.id,
          name: b.name,
          description: b.description,
          faceValueFen: b.face_value_fen,
          thresholdFen: b.threshold_fen,
          allowedCategories: b.allowed_categories,
          allowedDistricts: b.allowed_districts,
          validity: {
            kind: b.validity_kind,
            from: b.valid_from?.toISOString() ?? null,
            until: b.valid_until?.toISOString() ?? null,
            days: b.valid_days,
          },
          usageWindows: b.usage_windows,
          perCitizenLimit: b.per_citizen_limit,
          vouchersPerOrder: b.vouchers_per_order,
          requiresVerified: b.requires_verified,
          status: b.status,
          rounds: rounds
            .filter((r) => r.batch_id === b.id)
            .map((r) => ({ seq: r.seq, opensAt: r.opens_at.toISOString(), quota: r.quota })),
        })),
    }));
  }
}
