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
 * One call per scan, after its code was checked. A forged code is counted in every key and, if a key
 * is then above its limit, every key goes back down and the answer names it: {index, count before
 * this scan}. Any other scan is counted nowhere: it is only refused while a key has reached its limit.
 * Counting and deciding are one atomic step, so a burst of parallel guesses gets exactly `limit`
 * answers "forged" and every later scan, a lucky genuine guess included, "blocked". {0, 0} lets the
 * scan through.
 */
const SCAN_LUA = `
local forged = ARGV[#KEYS + 2] == '1'
if forged then
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
  return {0, 0}
end
for i = 1, #KEYS do
  local count = tonumber(redis.call('GET', KEYS[i]) or '0')
  if count >= tonumber(ARGV[i]) then return {i, count} end
end
return {0, 0}`;

interface GuardCommands {
  jinliForgedScan(...args: (string | number)[]): Promise<[number, number]>;
}

/** What the guard says of one scan: through, blocked (with the scope at its limit), or unknown. */
export type ScanVerdict =
  | { kind: 'through' }
  | { kind: 'blocked'; scope: ForgedScope; forgedCodes: number; retryAfterS: number }
  | { kind: 'unavailable'; error: Error };

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
    if (!c.jinliForgedScan) {
      redis.client.defineCommand('jinliForgedScan', { numberOfKeys: 3, lua: SCAN_LUA });
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

  /**
   * Asks about one scan whose code was checked: a forged one is counted, any other only compared
   * with the limits (so it may run beside the scan's database read). Never throws: enforce() acts
   * on the verdict.
   */
  async scan(
    actor: Pick<Actor, 'id'>,
    storeId: number,
    merchantId: number,
    forged: boolean,
  ): Promise<ScanVerdict> {
    const now = this.clock.nowMs();
    let answer: [number, number];
    try {
      answer = await this.client.jinliForgedScan(
        ...this.keys(actor, storeId, merchantId, now),
        this.limits.cashier,
        this.limits.store,
        this.limits.merchant,
        Math.ceil((2 * this.windowMs) / 1000),
        forged ? 1 : 0,
      );
    } catch (e) {
      return { kind: 'unavailable', error: e as Error };
    }
    const [index, count] = answer.map(Number);
    if (index === 0) return { kind: 'through' };
    const retryAfterS = Math.max(
      Math.ceil(((Math.floor(now / this.windowMs) + 1) * this.windowMs - now) / 1000),
      1,
    );
    return { kind: 'blocked', scope: SCOPES[index - 1], forgedCodes: count, retryAfterS };
  }

  /**
   * Refuses a blocked scan (RATE_LIMITED) or, when Redis could not answer, any scan (UNAVAILABLE):
   * it fails closed rather than unguarded. Both are audited.
   */
  async enforce(
    actor: Actor,
    storeId: number,
    verdict: ScanVerdict,
    audit: AuditSink = (entry) => this.audit.record(entry),
  ): Promise<void> {
    if (verdict.kind === 'through') return;
    const refuse = async (details: Record<string, unknown>, error: RedemptionException): Promise<never> => {
      await audit({
        actor,
        action: 'redemption.scan_blocked',
        entityType: 'store',
        entityId: storeId,
        outcome: 'denied',
        details,
      });
      throw error;
    };
    if (verdict.kind === 'unavailable') {
      this.log.error(`forged-code guard unavailable, scan refused: ${verdict.error.message}`);
      return refuse(
        { reason: 'guard_unavailable' },
        new RedemptionException(
          'UNAVAILABLE',
          'Voucher scanning is paused: the guard against forged codes cannot be checked; try again shortly',
        ),
      );
    }
    const { scope, forgedCodes, retryAfterS } = verdict;
    const details = {
      scope,
      forgedCodes,
      limit: this.limits[scope],
      windowS: this.windowMs / 1000,
      retryAfterS,
    };
    blocks.inc({ scope });
    return refuse(
      { reason: 'forged_code_limit', ...details },
      new RedemptionException(
        'RATE_LIMITED',
        `Too many invalid voucher codes from this ${scope}; scanning is paused for ${retryAfterS} s`,
        details,
      ),
    );
  }
}
