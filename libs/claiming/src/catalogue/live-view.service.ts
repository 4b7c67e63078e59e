import { Injectable } from '@nestjs/common';
import { Clock } from '@jinli/platform';
import { ClaimGate } from '../gate/claim-gate.service';
import { CounterLoader } from '../gate/counter-loader.service';
import { GatePhase, gateState } from '../gate/gate-meta';

export interface LiveRound {
  seq: number;
  id: number;
  opensAt: string;
  endsAt: string;
  quota: number;
  /** Quota plus what rolled or was recycled into the round, minus what it handed on. */
  capacity: number;
  claimed: number;
  state: 'done' | 'open' | 'upcoming';
  left: number | null;
}

export interface LiveView {
  batchId: number;
  serverTime: string;
  phase: GatePhase;
  reason: string | null;
  quota: number;
  returned: number;
  /** Reserved and issued vouchers (reservations are written within milliseconds). */
  claimed: number;
  left: number;
  /** Reservations waiting for their voucher row. */
  inFlight: number;
  claimsPerSecond: { last: number; avg10s: number; series: { t: string; n: number }[] };
  rounds: LiveRound[];
}

/** The operators' live view of a batch, from the gate's counters (never by scanning vouchers). */
@Injectable()
export class LiveViewService {
  constructor(
    private readonly gate: ClaimGate,
    private readonly loader: CounterLoader,
    private readonly clock: Clock,
  ) {}

  async view(batchId: number, seconds = 60): Promise<LiveView> {
    let snap = await this.gate.snapshot(batchId);
    if (!snap.loaded) {
      await this.loader.ensureLoaded(batchId);
      snap = await this.gate.snapshot(batchId);
    }
    const now = this.clock.nowMs();
    const [series, inFlight] = await Promise.all([
      this.gate.perSecond(batchId, now, seconds),
      this.gate.pendingCount(batchId),
    ]);
    const state = gateState(snap, now);
    // The current second is still filling: report the last complete one.
    const complete = series.slice(0, -1);
    const last10 = complete.slice(-10);
    return {
      batchId,
      serverTime: new Date(now).toISOString(),
      phase: state.phase,
      reason: state.reason,
      quota: snap.quota,
      returned: snap.returned,
      claimed: snap.issued,
      left: state.batchLeft,
      inFlight,
      claimsPerSecond: {
        last: complete.at(-1)?.n ?? 0,
        avg10s: last10.length ? last10.reduce((s, x) => s + x.n, 0) / last10.length : 0,
        series: series.map((x) => ({ t: new Date(x.t).toISOString(), n: x.n })),
      },
      rounds: snap.rounds.map((r, i) => ({
        seq: r.seq,
        id: r.id,
        opensAt: new Date(r.opensAtMs).toISOString(),
        endsAt: new Date(r.endsAtMs).toISOString(),
        quota: r.quota,
        capacity: r.capacity,
        claimed: r.issued,
        state: state.rounds[i].state,
        left: state.rounds[i].left,
      })),
    };
  }
}
