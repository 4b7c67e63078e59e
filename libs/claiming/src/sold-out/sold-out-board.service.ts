import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ErrorBody } from '@jinli/contracts';
import { AppConfig, APP_CONFIG, Clock, RedisService } from '@jinli/platform';
import { claimEventsChannel } from '../gate/claim-keys';

export interface SoldOutFlag {
  kind: 'round' | 'batch';
  round: number | null;
  /** Business time (ms) until which the answer holds: the round's end; null for the whole batch. */
  untilMs: number | null;
  nextRoundOpensAt: number | null;
}

interface Entry extends SoldOutFlag {
  /** Monotonic time the flag was learnt; it is trusted for CLAIM_SOLDOUT_TTL_MS only. */
  seenAt: number;
  /** Monotonic time one request was let through to Redis to check the flag again (0: none). */
  checkingSince: number;
}

/** How long the one request re-checking an old flag may take before another one is let through. */
const RECHECK_MS = 250;

type Message = ({ t: 'soldout'; b: number } & SoldOutFlag) | { t: 'changed'; b: number };

/**
 * The sold-out fast path. Once a round (or the batch) is sold out, every API process answers from
 * this in-memory board, with no Redis call, no database query and no token check, until the round
 * ends. Flags spread over Redis pub/sub; each is trusted for a short time only (a lost "quota came
 * back" message costs at most that long). Then ONE request per process asks Redis again while the
 * others keep the answer from memory (letting every request through at once made each expiry a
 * burst of slow answers that halved the sold-out throughput).
 */
@Injectable()
export class SoldOutBoard implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(SoldOutBoard.name);
  private readonly flags = new Map<number, Entry>();
  private readonly channel: string;
  private readonly ttlMs: number;
  private readonly changeListeners: ((batchId: number) => void)[] = [];
  private readonly onMessage = (channel: string, message: string) => {
    if (channel === this.channel) this.receive(message);
  };

  constructor(
    private readonly redis: RedisService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.channel = claimEventsChannel(redis.prefix);
    this.ttlMs = config.claiming.soldOutTtlMs;
  }

  async onModuleInit(): Promise<void> {
    const sub = this.redis.subscriber();
    sub.on('message', this.onMessage);
    await sub.subscribe(this.channel);
  }

  async onModuleDestroy(): Promise<void> {
    const sub = this.redis.subscriber();
    sub.off('message', this.onMessage);
    await sub.unsubscribe(this.channel).catch(() => undefined);
  }

  /** Called when any process says a batch changed (rules, rounds, counters, quota returned). */
  onChange(listener: (batchId: number) => void): void {
    this.changeListeners.push(listener);
  }

  /** The sold-out answer for a batch, from memory, or undefined when Redis must decide. */
  answer(batchId: number): { status: number; body: ErrorBody } | undefined {
    const f = this.flags.get(batchId);
    if (!f) return undefined;
    const now = this.clock.nowMs();
    if (f.untilMs !== null && now >= f.untilMs) {
      // The round is over: the next one may have vouchers.
      this.flags.delete(batchId);
      return undefined;
    }
    const mono = performance.now();
    if (mono - f.seenAt > this.ttlMs && mono - f.checkingSince > RECHECK_MS) {
      f.checkingSince = mono;
      return undefined;
    }
    return soldOutAnswer(f, now);
  }

  /** A claim got a voucher: whatever this process believed, the batch is not sold out. */
  forget(batchId: number): void {
    this.flags.delete(batchId);
  }

  /** Records a sold-out answer learnt from the gate, here and in every other process. */
  mark(batchId: number, flag: SoldOutFlag): void {
    const known = this.flags.get(batchId);
    this.flags.set(batchId, { ...flag, seenAt: performance.now(), checkingSince: 0 });
    // Tell the others once per flag, not once per sold-out answer.
    if (!known || known.kind !== flag.kind || known.untilMs !== flag.untilMs) {
      this.publish({ t: 'soldout', b: batchId, ...flag });
    }
  }

  /** Quota may be back (a reservation released, quota recycled, the batch changed): ask Redis again. */
  clear(batchId: number): void {
    this.flags.delete(batchId);
    for (const l of this.changeListeners) l(batchId);
    this.publish({ t: 'changed', b: batchId });
  }

  private publish(m: Message): void {
    this.redis.client
      .publish(this.channel, JSON.stringify(m))
      .catch((e: Error) => this.log.warn(`publish failed: ${e.message}`));
  }

  private receive(raw: string): void {
    let m: Message;
    try {
      m = JSON.parse(raw) as Message;
    } catch {
      return;
    }
    if (m.t === 'soldout') {
      this.flags.set(m.b, {
        kind: m.kind,
        round: m.round,
        untilMs: m.untilMs,
        nextRoundOpensAt: m.nextRoundOpensAt,
        seenAt: performance.now(),
        checkingSince: 0,
      });
    } else if (m.t === 'changed') {
      this.flags.delete(m.b);
      for (const l of this.changeListeners) l(m.b);
    }
  }
}

/** The body of a sold-out answer (also used when the gate itself says sold out). */
export function soldOutAnswer(f: SoldOutFlag, nowMs: number): { status: number; body: ErrorBody } {
  const serverTime = new Date(nowMs).toISOString();
  if (f.kind === 'batch') {
    return {
      status: 410,
      body: {
        code: 'CLAIM_BATCH_SOLD_OUT',
        message: 'All vouchers of this batch have been claimed',
        details: { serverTime },
      },
    };
  }
  return {
    status: 409,
    body: {
      code: 'CLAIM_ROUND_SOLD_OUT',
      message: 'This round is sold out',
      details: {
        serverTime,
        round: f.round,
        nextRoundOpensAt: f.nextRoundOpensAt === null ? null : new Date(f.nextRoundOpensAt).toISOString(),
      },
    },
  };
}
