import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import {
  Actor,
  AppConfig,
  APP_CONFIG,
  AuditService,
  AuditSink,
  Clock,
  counter,
  RedisService,
} from '@jinli/platform';
import { RedemptionException } from '../redemption.exception';

export type ForgedScope = 'cashier' | 'store' | 'merchant';
const SCOPES: ForgedScope[] = ['cashier', 'store', 'merchant'];

/**
 * Counts the scan in every key before its code is checked, so a burst of parallel guesses cannot all
 * read a count from before any of them was added. If a key is then above its limit, every key goes
 * back down and the answer names it: {index, count before this scan}; {0, 0} lets the scan through.
 */
const ADMIT_LUA = `
local ttl = tonumber(ARGV[#KEYS + 1])
local counts = {}
for i = 1, #KEYS do
  counts[i] = redis.call('INCR', KEYS[i])
  if counts[i] == 1 then redis.call('EXPIRE', KEYS[i], ttl) end
end
for i = 1, #KEYS do
  if counts[i] > tonumber(ARGV[i]) then
    for j = 1, #KEYS do redis.call('DECR', KEYS[j]) end
    return {i, counts[i] - 1}
  end
end
return {0, 0}`;

/** Takes back the count of a scan whose code was not forged (keys whose window is gone stay gone). */
const RELEASE_LUA = `
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('DECR', KEYS[i]) end
end
return 1`;

interface GuardCommands {
  jinliForgedAdmit(...args: (string | number)[]): Promise<[number, number]>;
  jinliForgedRelease(...args: (string | number)[]): Promise<number>;
}

/** A scan let through: forged codes stay counted, anything else gives its count back. */
export interface ScanTicket {
  release(): Promise<void>;
}

const blocks = counter('jinli_forged_code_blocks_total', 'Scans refused by the forged-code guard', ['scope']);

/**
 * Stops guessing of numeric voucher codes (6 digits of MAC): forged codes are counted per cashier,
 * per store and per merchant in fixed windows of the clock, so adding cashiers does not add guesses.
 * It fails closed: when Redis cannot count, scanning is refused (UNAVAILABLE) rather than unguarded.
 */
@Injectable()
export class ForgedCodeGuard {
  private readonly log = new Logger(ForgedCodeGuard.name);
  private readonly client: Redis & GuardCommands;
  private readonly windowMs: number;
  private readonly limits: Record<ForgedScope, number>;

  constructor(
    private readonly redis: RedisService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const c = redis.client as Redis & Partial<GuardCommands>;
    if (!c.jinliForgedAdmit) {
      redis.client.defineCommand('jinliForgedAdmit', { numberOfKeys: 3, lua: ADMIT_LUA });
      redis.client.defineCommand('jinliForgedRelease', { numberOfKeys: 3, lua: RELEASE_LUA });
    }
    this.client = c as Redis & GuardCommands;
    this.windowMs = config.redemption.forgedWindowS * 1000;
    this.limits = {
      cashier: config.redemption.forgedPerCashier,
      store: config.redemption.forgedPerStore,
      merchant: config.redemption.forgedPerMerchant,
    };
  }

  /** The counters of a cashier's scan in the window holding `nowMs` (one cluster slot per merchant). */
  keys(actor: Pick<Actor, 'id'>, storeId: number, merchantId: number, nowMs: number): string[] {
    const window = Math.floor(nowMs / this.windowMs);
    const base = ['redemption', 'forged', `{m${merchantId}}`, window];
    return [
      this.redis.key(...base, 'cashier', actor.id),
      this.redis.key(...base, 'store', storeId),
      this.redis.key(...base, 'merchant'),
    ];
  }

  /** Lets a scan through, or refuses it (RATE_LIMITED, audited) or, without Redis, UNAVAILABLE. */
  async admit(
    actor: Actor,
    storeId: number,
    merchantId: number,
    audit: AuditSink = (entry) => this.audit.record(entry),
  ): Promise<ScanTicket> {
    const now = this.clock.nowMs();
    const keys = this.keys(actor, storeId, merchantId, now);
    let answer: [number, number];
    try {
      answer = await this.client.jinliForgedAdmit(
        ...keys,
        this.limits.cashier,
        this.limits.store,
        this.limits.merchant,
        Math.ceil((2 * this.windowMs) / 1000),
      );
    } catch (e) {
      this.log.error(`forged-code guard unavailable, scan refused: ${(e as Error).message}`);
      await audit({
        actor,
        action: 'redemption.scan_blocked',
        entityType: 'store',
        entityId: storeId,
        outcome: 'denied',
        details: { reason: 'guard_unavailable' },
      });
      throw new RedemptionException(
        'UNAVAILABLE',
        'Voucher scanning is paused: the guard against forged codes cannot be checked; try again shortly',
      );
    }
    const [index, count] = answer.map(Number);
    if (index > 0) {
      const scope = SCOPES[index - 1];
      const retryAfterS = Math.max(
        Math.ceil(((Math.floor(now / this.windowMs) + 1) * this.windowMs - now) / 1000),
        1,
      );
      const details = {
        scope,
        forgedCodes: count,
        limit: this.limits[scope],
        windowS: this.windowMs / 1000,
        retryAfterS,
      };
      blocks.inc({ scope });
      await audit({
        actor,
        action: 'redemption.scan_blocked',
        entityType: 'store',
        entityId: storeId,
        outcome: 'denied',
        details: { reason: 'forged_code_limit', ...details },
      });
      throw new RedemptionException(
        'RATE_LIMITED',
        `Too many invalid voucher codes from this ${scope}; scanning is paused for ${retryAfterS} s`,
        details,
      );
    }
    return {
      release: () =>
        this.client.jinliForgedRelease(...keys).then(
          () => undefined,
          // The count stays until its window ends: a slightly early block, never a missed one.
          (e: Error) => this.log.warn(`forged-code guard: could not release a scan: ${e.message}`),
        ),
    };
  }
}
