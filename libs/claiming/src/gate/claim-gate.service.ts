import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppConfig, APP_CONFIG, histogram, RedisService } from '@jinli/platform';
import { ClaimKeys, claimKeys, pendingMember } from './claim-keys';
import {
  CONFIRM_LUA,
  REFRESH_LUA,
  RELEASE_LUA,
  RESERVE_CALL_TTL_MS,
  RESERVE_LUA,
  UNLOCK_LUA,
} from './claim-scripts';
import { GateSnapshot, parseMeta } from './gate-meta';

type Reply = (string | number | null)[];

export type ReserveResult =
  | { kind: 'not_loaded' }
  | { kind: 'rate_limited'; retryAfterMs: number }
  | { kind: 'not_eligible'; reason: string }
  | { kind: 'not_open'; opensAt: number | null }
  | { kind: 'batch_sold_out' }
  | { kind: 'round_sold_out'; round: number; roundEndsAt: number; nextRoundOpensAt: number | null }
  | { kind: 'limit_reached'; limit: number }
  | {
      kind: 'reserved';
      slot: number;
      round: number;
      roundId: number;
      roundLeftAfter: number;
      batchLeftAfter: number;
      roundEndsAt: number;
      nextRoundOpensAt: number | null;
    };

const orNull = (v: number) => (v < 0 ? null : v);

/** Parses the reserve script's answer (exported for the benchmark's raw Lua measurement). */
export function parseReserve(r: Reply): ReserveResult {
  switch (String(r[0])) {
    case 'NL':
      return { kind: 'not_loaded' };
    case 'RL':
      return { kind: 'rate_limited', retryAfterMs: Math.max(Number(r[1]), 1) };
    case 'NE':
      return { kind: 'not_eligible', reason: String(r[1]) };
    case 'NO':
      return { kind: 'not_open', opensAt: orNull(Number(r[1])) };
    case 'BSO':
      return { kind: 'batch_sold_out' };
    case 'RSO':
      return {
        kind: 'round_sold_out',
        round: Number(r[1]),
        roundEndsAt: Number(r[2]),
        nextRoundOpensAt: orNull(Number(r[3])),
      };
    case 'LIM':
      return { kind: 'limit_reached', limit: Number(r[1]) };
    case 'OK':
      return {
        kind: 'reserved',
        slot: Number(r[1]),
        round: Number(r[2]),
        roundId: Number(r[3]),
        roundLeftAfter: Number(r[4]),
        batchLeftAfter: Number(r[5]),
        roundEndsAt: Number(r[7]),
        nextRoundOpensAt: orNull(Number(r[8])),
      };
    default:
      throw new Error(`unexpected answer from the claim gate: ${JSON.stringify(r)}`);
  }
}

interface GateCommands {
  jinliClaimReserve(...args: (string | number)[]): Promise<Reply>;
  jinliClaimRelease(...args: (string | number)[]): Promise<number>;
  jinliClaimConfirm(...args: (string | number)[]): Promise<number>;
  jinliClaimRefresh(...args: (string | number)[]): Promise<number>;
  jinliUnlock(...args: (string | number)[]): Promise<number>;
}

/** Registers the gate's scripts on a client (EVALSHA, falling back to EVAL after a SCRIPT FLUSH). */
export function defineGateCommands(client: Redis): Redis & GateCommands {
  const c = client as Redis & Partial<GateCommands>;
  if (!c.jinliClaimReserve) {
    client.defineCommand('jinliClaimReserve', { numberOfKeys: 7, lua: RESERVE_LUA });
    client.defineCommand('jinliClaimRelease', { numberOfKeys: 3, lua: RELEASE_LUA });
    client.defineCommand('jinliClaimConfirm', { numberOfKeys: 3, lua: CONFIRM_LUA });
    client.defineCommand('jinliClaimRefresh', { numberOfKeys: 1, lua: REFRESH_LUA });
    client.defineCommand('jinliUnlock', { numberOfKeys: 1, lua: UNLOCK_LUA });
  }
  return c as Redis & GateCommands;
}

export interface RateLimits {
  windowMs: number;
  perCitizen: number;
  perIp: number;
}

/** One claim for the reserve script. */
export interface ReserveClaim {
  nowMs: number;
  citizenId: number;
  ip: string;
}

/**
 * Calls the reserve script for claims of one batch that share the rate window and the second of
 * the first one's `nowMs` (the caller groups them so). One answer per claim, in order.
 * `callId` must be new for every call (randomUUID()): a run that finds the answers of its call id
 * returns them unchanged, so a resend by the client does not decide the claims twice.
 */
export function reserveManyCall(
  client: Redis & GateCommands,
  keys: ClaimKeys,
  callId: string,
  claims: readonly ReserveClaim[],
  limits: RateLimits,
  roundHint = 1,
): Promise<Reply[]> {
  const nowMs = claims[0].nowMs;
  const window = Math.floor(nowMs / limits.windowMs);
  const args: (string | number)[] = [
    keys.meta,
    keys.slots,
    keys.pending,
    keys.rateCitizens(window),
    keys.rateIps(window),
    keys.perSecond(Math.floor(nowMs / 1000)),
    keys.call(callId),
    limits.perCitizen,
    limits.perIp,
    (window + 1) * limits.windowMs,
    roundHint,
    RESERVE_CALL_TTL_MS,
  ];
  for (const c of claims) args.push(c.nowMs, c.citizenId, c.ip);
  return client.jinliClaimReserve(...args) as unknown as Promise<Reply[]>;
}

/** Calls the reserve script for one claim (the benchmark's raw measurement: one call per claim). */
export async function reserveCall(
  client: Redis & GateCommands,
  keys: ClaimKeys,
  callId: string,
  citizenId: number,
  ip: string,
  nowMs: number,
  limits: RateLimits,
  roundHint = 1,
): Promise<Reply> {
  const [answer] = await reserveManyCall(client, keys, callId, [{ nowMs, citizenId, ip }], limits, roundHint);
  return answer;
}

/** Claims waiting for the next script call of their batch, rate window and second. */
interface ReserveGroup {
  batchId: number;
  claims: ReserveClaim[];
  waiters: { resolve: (r: ReserveResult) => void; reject: (e: unknown) => void }[];
}

const claimsPerCall = histogram(
  'jinli_claim_gate_claims_per_call',
  'Claims decided per call of the reserve script (claims of one event-loop turn go together)',
  [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
);

/**
 * The Redis side of claiming: atomic script calls, each deciding one or more claims. Never the
 * system of record.
 */
@Injectable()
export class ClaimGate {
  readonly client: Redis & GateCommands;
  readonly limits: RateLimits;
  /**
   * Claims per script call (CLAIM_GATE_MAX_BATCH). A group sent while the API is still reading the
   * other requests of a turn has its answer back by the next turn; bigger groups cost less per
   * claim (one call, one reply). Redis runs a script without interruption, so keep each short.
   */
  readonly maxBatch: number;
  /** Last open round seen per batch: the script's first read then fetches the right round. */
  private readonly roundHints = new Map<number, number>();
  private readonly groups = new Map<string, ReserveGroup>();
  private flushScheduled = false;

  constructor(
    private readonly redis: RedisService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.client = defineGateCommands(redis.client);
    this.limits = {
      windowMs: config.claiming.rateWindowS * 1000,
      perCitizen: config.claiming.ratePerCitizen,
      perIp: config.claiming.ratePerIp,
    };
    this.maxBatch = config.claiming.gateMaxBatch;
  }

  keys(batchId: number): ClaimKeys {
    return claimKeys(this.redis.prefix, batchId);
  }

  /**
   * Reserves a voucher for one claim. Claims that arrive in the same turn of the event loop are
   * sent to Redis together, one script call per batch, rate window and second: a group goes as
   * soon as it holds CLAIM_GATE_MAX_BATCH claims, and what is left when the turn ends goes then
   * (setImmediate: after the sockets that were ready have been read). At a few thousand claims a
   * second this replaces thousands of round trips by a few hundred.
   */
  reserve(batchId: number, citizenId: number, ip: string, nowMs: number): Promise<ReserveResult> {
    const window = Math.floor(nowMs / this.limits.windowMs);
    const key = `${batchId}:${window}:${Math.floor(nowMs / 1000)}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { batchId, claims: [], waiters: [] };
      this.groups.set(key, group);
    }
    const g = group;
    const answer = new Promise<ReserveResult>((resolve, reject) => g.waiters.push({ resolve, reject }));
    g.claims.push({ nowMs, citizenId, ip });
    if (g.claims.length >= this.maxBatch) {
      this.groups.delete(key);
      this.send(g);
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return answer;
  }

  private flush(): void {
    this.flushScheduled = false;
    const groups = [...this.groups.values()];
    this.groups.clear();
    for (const g of groups) this.send(g);
  }

  private send(g: ReserveGroup): void {
    claimsPerCall.observe(g.claims.length);
    reserveManyCall(
      this.client,
      this.keys(g.batchId),
      randomUUID(),
      g.claims,
      this.limits,
      this.roundHints.get(g.batchId),
    ).then(
      (answers) => {
        for (let i = 0; i < g.waiters.length; i++) {
          let r: ReserveResult;
          try {
            r = parseReserve(answers[i]);
          } catch (e) {
            g.waiters[i].reject(e);
            continue;
          }
          if (r.kind === 'reserved' || r.kind === 'round_sold_out') this.roundHints.set(g.batchId, r.round);
          g.waiters[i].resolve(r);
        }
      },
      (e: unknown) => {
        for (const w of g.waiters) w.reject(e);
      },
    );
  }

  /** -1: counters not loaded (retry after loading); 0: nothing to release; 1: released. */
  release(batchId: number, citizenId: number, slot: number, round: number): Promise<number> {
    const k = this.keys(batchId);
    return this.client.jinliClaimRelease(k.meta, k.slots, k.pending, pendingMember(citizenId, slot, round));
  }

  /** -1: counters not loaded; else how many confirmed reservations had to be counted again. */
  confirm(batchId: number, members: string[]): Promise<number> {
    const k = this.keys(batchId);
    return this.client.jinliClaimConfirm(k.meta, k.slots, k.pending, ...members);
  }

  refresh(batchId: number, rounds: number, fields: Record<string, string>): Promise<number> {
    return this.client.jinliClaimRefresh(
      this.keys(batchId).meta,
      rounds,
      fields.born,
      ...Object.entries(fields).flat(),
    );
  }

  async isLoaded(batchId: number): Promise<boolean> {
    return (await this.client.hexists(this.keys(batchId).meta, 'loaded')) === 1;
  }

  /** The meta hash as stored (empty when the batch is not in Redis). */
  meta(batchId: number): Promise<Record<string, string>> {
    return this.client.hgetall(this.keys(batchId).meta);
  }

  async snapshot(batchId: number): Promise<GateSnapshot> {
    return parseMeta(await this.meta(batchId));
  }

  /** Reservations older than `beforeMs` still waiting for their row. */
  stalePending(batchId: number, beforeMs: number, limit = 1000): Promise<string[]> {
    return this.client.zrangebyscore(this.keys(batchId).pending, '-inf', `(${beforeMs}`, 'LIMIT', 0, limit);
  }

  pendingCount(batchId: number): Promise<number> {
    return this.client.zcard(this.keys(batchId).pending);
  }

  /** Accepted claims per second for the last `seconds` seconds up to `nowMs` (oldest first). */
  async perSecond(batchId: number, nowMs: number, seconds: number): Promise<{ t: number; n: number }[]> {
    const k = this.keys(batchId);
    const last = Math.floor(nowMs / 1000);
    const secs = Array.from({ length: seconds }, (_, i) => last - seconds + 1 + i);
    const values = await this.client.mget(...secs.map((s) => k.perSecond(s)));
    return secs.map((s, i) => ({ t: s * 1000, n: Number(values[i] ?? 0) }));
  }

  async lock(batchId: number, token: string, ttlMs: number): Promise<boolean> {
    return (await this.client.set(this.keys(batchId).lock, token, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async unlock(batchId: number, token: string): Promise<void> {
    await this.client.jinliUnlock(this.keys(batchId).lock, token);
  }
}
