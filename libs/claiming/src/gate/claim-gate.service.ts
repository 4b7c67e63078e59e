import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppConfig, APP_CONFIG, RedisService } from '@jinli/platform';
import { ClaimKeys, claimKeys, pendingMember } from './claim-keys';
import { CONFIRM_LUA, REFRESH_LUA, RELEASE_LUA, RESERVE_LUA, UNLOCK_LUA } from './claim-scripts';
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
      /** The round used quota left by other rounds (roll-over): the writer makes room in PostgreSQL. */
      borrowed: boolean;
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
        borrowed: Number(r[6]) === 1,
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
    client.defineCommand('jinliClaimReserve', { numberOfKeys: 6, lua: RESERVE_LUA });
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

/** Calls the reserve script for one claim (shared by the service and the benchmark's raw measurement). */
export function reserveCall(
  client: Redis & GateCommands,
  keys: ClaimKeys,
  citizenId: number,
  ip: string,
  nowMs: number,
  limits: RateLimits,
  roundHint = 1,
): Promise<Reply> {
  const window = Math.floor(nowMs / limits.windowMs);
  return client.jinliClaimReserve(
    keys.meta,
    keys.slots,
    keys.pending,
    keys.rateCitizens(window),
    keys.rateIps(window),
    keys.perSecond(Math.floor(nowMs / 1000)),
    nowMs,
    citizenId,
    ip,
    limits.perCitizen,
    limits.perIp,
    (window + 1) * limits.windowMs,
    roundHint,
  );
}

/** The Redis side of claiming: one script call per decision. Never the system of record. */
@Injectable()
export class ClaimGate {
  readonly client: Redis & GateCommands;
  readonly limits: RateLimits;
  /** Last open round seen per batch: the script's first read then fetches the right round. */
  private readonly roundHints = new Map<number, number>();

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
  }

  keys(batchId: number): ClaimKeys {
    return claimKeys(this.redis.prefix, batchId);
  }

  async reserve(batchId: number, citizenId: number, ip: string, nowMs: number): Promise<ReserveResult> {
    return parseReserve(
      await reserveCall(this.client, this.keys(batchId), citizenId, ip, nowMs, this.limits),
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

  async snapshot(batchId: number): Promise<GateSnapshot> {
    return parseMeta(await this.client.hgetall(this.keys(batchId).meta));
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
