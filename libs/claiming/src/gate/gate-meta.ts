import { ClaimIneligibleReason, LifecycleStatus } from '@jinli/contracts';

/** What the gate needs to know about a batch, read from PostgreSQL. */
export interface BatchSource {
  batchId: number;
  /** When the batch row was created: tells this batch from an older one with the same id (restored database). */
  createdAt: Date;
  status: LifecycleStatus;
  campaignStatus: LifecycleStatus;
  campaignEndsAt: Date;
  perCitizenLimit: number;
  rollOverUnclaimed: boolean;
  quota: number;
  returnedCount: number;
  issuedCount: number;
  validityKind: 'fixed' | 'relative';
  validUntil: Date | null;
  rounds: RoundSource[];
}

export interface RoundSource {
  id: number;
  seq: number;
  opensAt: Date;
  closesAt: Date | null;
  quota: number;
  carriedIn: number;
  carriedOut: number;
  issuedCount: number;
}

/** Why nobody can claim from a batch right now, or null when claims are allowed. */
export function ineligibleReason(
  batchStatus: LifecycleStatus,
  campaignStatus: LifecycleStatus,
): ClaimIneligibleReason | null {
  if (campaignStatus === 'ended') return ClaimIneligibleReason.CampaignEnded;
  if (campaignStatus === 'paused') return ClaimIneligibleReason.CampaignPaused;
  if (campaignStatus === 'draft') return ClaimIneligibleReason.CampaignNotRunning;
  if (batchStatus === 'ended') return ClaimIneligibleReason.BatchEnded;
  if (batchStatus === 'paused') return ClaimIneligibleReason.BatchPaused;
  if (batchStatus === 'draft') return ClaimIneligibleReason.BatchNotPublished;
  return null;
}

/**
 * A round is open from its opening time until it closes: its own closing time, else the next
 * round's opening, else the campaign's end (never after the campaign's end).
 */
export function effectiveEnds(rounds: RoundSource[], campaignEndsAt: Date): number[] {
  const sorted = [...rounds].sort((a, b) => a.seq - b.seq);
  return sorted.map((r, i) => {
    const own = r.closesAt?.getTime() ?? sorted[i + 1]?.opensAt.getTime() ?? campaignEndsAt.getTime();
    return Math.min(own, campaignEndsAt.getTime());
  });
}

/** Rules and rounds, without the live counters. Rounds are numbered 1..n in seq order. */
export function staticFields(src: BatchSource): Record<string, string> {
  const rounds = [...src.rounds].sort((a, b) => a.seq - b.seq);
  const ends = effectiveEnds(rounds, src.campaignEndsAt);
  const reason = ineligibleReason(src.status, src.campaignStatus);
  const out: Record<string, string> = {
    born: String(src.createdAt.getTime()),
    ok: reason ? '0' : '1',
    why: reason ?? '',
    lim: String(src.perCitizenLimit),
    roll: src.rollOverUnclaimed ? '1' : '0',
    quota: String(src.quota),
    ret: String(src.returnedCount),
    n: String(rounds.length),
    vu: src.validityKind === 'fixed' && src.validUntil ? String(src.validUntil.getTime()) : '',
  };
  let cumulative = 0;
  rounds.forEach((r, i) => {
    const j = i + 1;
    const cap = r.quota + r.carriedIn - r.carriedOut;
    cumulative += cap;
    out[`id${j}`] = String(r.id);
    out[`o${j}`] = String(r.opensAt.getTime());
    out[`e${j}`] = String(ends[i]);
    out[`q${j}`] = String(r.quota);
    out[`cap${j}`] = String(cap);
    out[`cc${j}`] = String(cumulative);
  });
  return out;
}

/**
 * Fields of `expected` (staticFields of PostgreSQL now) that the meta in Redis does not hold: rules
 * or rounds changed without a refresh. Capacities (cap<j>, cc<j>) are left out: in a batch that rolls
 * over, inserts move carried quota between rounds in PostgreSQL (the counting trigger) and the gate
 * keeps its own.
 */
export function staleStaticFields(expected: Record<string, string>, meta: Record<string, string>): string[] {
  return Object.keys(expected).filter((k) => !/^(cap|cc)\d+$/.test(k) && meta[k] !== expected[k]);
}

/**
 * The whole meta hash: rules, rounds and counters. `extraPerRound` holds reservations that have no
 * row yet (seq -> count), which PostgreSQL cannot know about.
 */
export function fullMeta(
  src: BatchSource,
  extraPerRound: Map<number, number>,
  loadedAt: string,
): Record<string, string> {
  const rounds = [...src.rounds].sort((a, b) => a.seq - b.seq);
  const out = staticFields(src);
  let extra = 0;
  rounds.forEach((r, i) => {
    const more = extraPerRound.get(i + 1) ?? 0;
    extra += more;
    out[`is${i + 1}`] = String(r.issuedCount + more);
  });
  out.issued = String(src.issuedCount + extra);
  out.loaded = loadedAt;
  return out;
}

/** The gate's view of a batch, read back from Redis (for the catalogue and the live view). */
export interface GateSnapshot {
  loaded: boolean;
  /** Creation time (ms) of the batch these counters were loaded for. */
  born: number;
  claimable: boolean;
  reason: string | null;
  perCitizenLimit: number;
  rollOver: boolean;
  quota: number;
  returned: number;
  issued: number;
  validUntilMs: number | null;
  rounds: {
    seq: number;
    id: number;
    opensAtMs: number;
    endsAtMs: number;
    quota: number;
    capacity: number;
    cumulativeCapacity: number;
    issued: number;
  }[];
}

export function parseMeta(h: Record<string, string>): GateSnapshot {
  const num = (k: string) => Number(h[k] ?? 0);
  const n = num('n');
  const rounds: GateSnapshot['rounds'] = [];
  for (let j = 1; j <= n; j++) {
    rounds.push({
      seq: j,
      id: num(`id${j}`),
      opensAtMs: num(`o${j}`),
      endsAtMs: num(`e${j}`),
      quota: num(`q${j}`),
      capacity: num(`cap${j}`),
      cumulativeCapacity: num(`cc${j}`),
      issued: num(`is${j}`),
    });
  }
  return {
    loaded: h.loaded !== undefined,
    born: num('born'),
    claimable: h.ok === '1',
    reason: h.why ? h.why : null,
    perCitizenLimit: num('lim'),
    rollOver: h.roll === '1',
    quota: num('quota'),
    returned: num('ret'),
    issued: num('issued'),
    validUntilMs: h.vu ? Number(h.vu) : null,
    rounds,
  };
}

export type GatePhase = 'not_open' | 'open' | 'round_sold_out' | 'sold_out' | 'over' | 'not_eligible';

export interface GateState {
  phase: GatePhase;
  reason: string | null;
  /** seq of the open round (also when it is sold out). */
  currentRound: number | null;
  /** Vouchers left in the open round (roll-over included), capped by what the batch has left. */
  left: number;
  batchLeft: number;
  /** Next opening after now: of the first round when none opened yet, else of the next round. */
  opensAt: number | null;
  roundEndsAt: number | null;
  /** Per round: done, open or upcoming, and what it gave out. */
  rounds: { seq: number; state: 'done' | 'open' | 'upcoming'; left: number | null }[];
}

/** The same decision the reserve script makes, for display (the script stays the authority). */
export function gateState(s: GateSnapshot, now: number): GateState {
  const batchLeft = Math.max(s.quota + s.returned - s.issued, 0);
  const open = s.rounds.find((r) => now >= r.opensAtMs && now < r.endsAtMs);
  const upcoming = s.rounds.find((r) => r.opensAtMs > now);
  const leftOf = (r: GateSnapshot['rounds'][number]) =>
    Math.max(Math.min(s.rollOver ? r.cumulativeCapacity - s.issued : r.capacity - r.issued, batchLeft), 0);
  const rounds = s.rounds.map((r) => ({
    seq: r.seq,
    state: (r === open ? 'open' : r.opensAtMs > now ? 'upcoming' : 'done') as 'done' | 'open' | 'upcoming',
    left: r === open ? leftOf(r) : null,
  }));
  const base = {
    reason: null as string | null,
    currentRound: open?.seq ?? null,
    left: open ? leftOf(open) : 0,
    batchLeft,
    opensAt: (open ? s.rounds[open.seq]?.opensAtMs : upcoming?.opensAtMs) ?? null,
    roundEndsAt: open?.endsAtMs ?? null,
    rounds,
  };
  if (!s.claimable) return { ...base, phase: 'not_eligible', reason: s.reason };
  if (s.validUntilMs !== null && now >= s.validUntilMs)
    return { ...base, phase: 'not_eligible', reason: 'validity_over' };
  if (batchLeft <= 0) return { ...base, phase: 'sold_out' };
  if (!open) return { ...base, phase: upcoming ? 'not_open' : 'over' };
  return { ...base, phase: base.left > 0 ? 'open' : 'round_sold_out' };
}
