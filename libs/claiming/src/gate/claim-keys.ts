/**
 * Redis keys of the claim gate. Every key of one batch carries the hash tag `{batch:<id>}`, so the
 * gate's scripts (which touch several keys at once) run unchanged on Redis Cluster: all of a batch's
 * keys live in one slot. The key prefix (REDIS_KEY_PREFIX) comes first, as for every Jinli key.
 */
export interface ClaimKeys {
  /** Hash: the batch's rules, rounds and counters, and the `loaded` marker. */
  meta: string;
  /** Hash: `<citizenId>:<slot>` -> round seq, one field per reserved or issued voucher. */
  slots: string;
  /** Sorted set: reservations not yet confirmed as rows, `<citizenId>:<slot>:<roundSeq>` scored by time. */
  pending: string;
  /** Short lock held while counters are (re)built from PostgreSQL. */
  lock: string;
  /** Hash per rate-limit window: citizen id -> attempts. */
  rateCitizens(window: number): string;
  /** Hash per rate-limit window: address -> attempts. */
  rateIps(window: number): string;
  /** Accepted claims in one second (for the operators' live view). */
  perSecond(epochSecond: number): string;
  /**
   * String, expiring: the answers of one reserve script call, so a call the client resends after
   * a reconnect (its reply was lost) gets the same answers instead of being decided again.
   */
  call(callId: string): string;
}

export function batchTag(batchId: number): string {
  return `{batch:${batchId}}`;
}

export function claimKeys(prefix: string, batchId: number): ClaimKeys {
  const base = `${prefix}claim:${batchTag(batchId)}`;
  return {
    meta: `${base}:meta`,
    slots: `${base}:slots`,
    pending: `${base}:pending`,
    lock: `${base}:lock`,
    rateCitizens: (window) => `${base}:rl:c:${window}`,
    rateIps: (window) => `${base}:rl:ip:${window}`,
    perSecond: (s) => `${base}:cps:${s}`,
    call: (callId) => `${base}:call:${callId}`,
  };
}

/** Pub/sub channel on which API instances tell each other about sold-out rounds and changed batches. */
export function claimEventsChannel(prefix: string): string {
  return `${prefix}claim:events`;
}

/** A reservation's member in the pending set. */
export function pendingMember(citizenId: number, slot: number, roundSeq: number): string {
  return `${citizenId}:${slot}:${roundSeq}`;
}

export function parsePendingMember(member: string): { citizenId: number; slot: number; roundSeq: number } {
  const [c, s, r] = member.split(':').map(Number);
  return { citizenId: c, slot: s, roundSeq: r };
}
