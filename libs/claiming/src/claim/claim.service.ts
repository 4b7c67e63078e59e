import { performance } from 'node:perf_hooks';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ClaimIneligibleReason, Role } from '@jinli/contracts';
import {
  Clock,
  counter,
  histogram,
  isConstraintViolation,
  JinliException,
  pgErrorOf,
  TokenService,
} from '@jinli/platform';
import { ClaimingException } from '../claiming.exception';
import { ClaimGate, ReserveResult } from '../gate/claim-gate.service';
import { CounterLoader } from '../gate/counter-loader.service';
import { SoldOutBoard, soldOutAnswer } from '../sold-out/sold-out-board.service';
import { BatchRules, BatchRulesCache } from './batch-rules.cache';
import { ClaimOutcomeUnknown, ClaimWriter, WrittenVoucher } from './claim-writer.service';
import { voucherValidity } from './voucher-validity';

/** The 201 answer: the voucher, committed in PostgreSQL. */
export interface ClaimedVoucher {
  id: number;
  batchId: number;
  roundId: number;
  round: number;
  slot: number;
  status: 'claimed';
  claimedAt: string;
  validFrom: string;
  validUntil: string;
}

const outcomes = counter('jinli_claims_total', 'Claim answers by outcome', ['outcome']);
const reserveSeconds = histogram(
  'jinli_claim_reserve_seconds',
  'Duration of the gate script call',
  [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
);
const claimSeconds = histogram(
  'jinli_claim_accepted_seconds',
  'Duration of an accepted claim, token to commit',
  [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
);
const VERIFIED_CACHE_MAX = 200_000;

/**
 * One claim: token, eligibility, the Redis gate (one script call), then the micro-batched durable
 * write. The sold-out fast path is in front of this (see SoldOutBoard.answer).
 */
@Injectable()
export class ClaimService {
  private readonly log = new Logger(ClaimService.name);
  /** Citizens known to be verified (verification is never withdrawn, so only "yes" is cached). */
  private readonly verified = new Set<number>();
  private readonly resyncAt = new Map<number, number>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
    private readonly gate: ClaimGate,
    private readonly loader: CounterLoader,
    private readonly board: SoldOutBoard,
    private readonly rules: BatchRulesCache,
    private readonly writer: ClaimWriter,
  ) {
    board.onChange((batchId) => rules.invalidate(batchId));
  }

  /** Verifies the bearer token itself: the route is public so that sold-out answers need no token. */
  citizenFromHeader(authorization: string | string[] | undefined): number {
    const token = TokenService.fromHeader(authorization);
    if (!token)
      throw new ClaimingException('UNAUTHENTICATED', 'Sign in first (Authorization: Bearer <token>)');
    const actor = this.tokens.verify(token, this.clock.nowMs());
    if (actor.role !== Role.Citizen) {
      throw new ClaimingException('AUTH_ROLE_FORBIDDEN', 'Only citizens claim vouchers', {
        reason: ClaimIneligibleReason.NotCitizen,
      });
    }
    return actor.id;
  }

  async claim(batchId: number, citizenId: number, ip: string): Promise<ClaimedVoucher> {
    try {
      const v = await this.claimOnce(batchId, citizenId, ip);
      outcomes.inc({ outcome: 'claimed' });
      return v;
    } catch (e) {
      outcomes.inc({ outcome: e instanceof JinliException ? e.code : 'error' });
      throw e;
    }
  }

  private async claimOnce(batchId: number, citizenId: number, ip: string): Promise<ClaimedVoucher> {
    const started = performance.now();
    let rules: BatchRules;
    let now: number;
    let r: ReserveResult;
    try {
      rules = await this.rules.get(batchId);
      if (rules.requiresVerified && !(await this.isVerified(citizenId))) {
        throw new ClaimingException('CLAIM_NOT_ELIGIBLE', 'This batch is for real-name verified residents', {
          reason: ClaimIneligibleReason.NotVerified,
        });
      }
      now = this.clock.nowMs();
      r = await this.reserve(batchId, citizenId, ip, now);
    } catch (e) {
      throw this.unavailable(batchId, e);
    }
    if (r.kind !== 'reserved') throw this.refusal(batchId, r, now);

    if (r.roundLeftAfter <= 0) {
      // This claim took the last voucher: every process can answer sold out from now on.
      this.board.mark(batchId, this.flagFor(r.batchLeftAfter <= 0, r));
    } else {
      // Quota came back since this process last heard "sold out" (the re-check got through).
      this.board.forget(batchId);
    }
    const validity = voucherValidity(rules, now);
    let written: WrittenVoucher;
    try {
      written = await this.writer.write(
        {
          batchId,
          roundId: r.roundId,
          round: r.round,
          citizenId,
          slot: r.slot,
          claimedAtMs: now,
          validFromMs: validity.from,
          validUntilMs: validity.until,
        },
        started,
      );
    } catch (e) {
      if (e instanceof ClaimOutcomeUnknown) {
        // The row may exist: the reservation stays pending and reconciliation settles it from
        // PostgreSQL after the grace period. Releasing it now could free a slot that is taken.
        throw new ClaimingException(
          'UNAVAILABLE',
          'We could not confirm whether the voucher was recorded; look at your vouchers before trying again',
          { outcome: 'unknown' },
        );
      }
      await this.releaseAfterFailure(batchId, citizenId, r.slot, r.round);
      throw this.writeFailure(batchId, e, rules, r, now);
    }
    claimSeconds.observe((performance.now() - started) / 1000);
    // From the row (after an interrupted insert the writer read them back from PostgreSQL).
    return {
      id: written.id,
      batchId,
      roundId: written.roundId,
      round: r.round,
      slot: r.slot,
      status: 'claimed',
      claimedAt: new Date(written.claimedAtMs).toISOString(),
      validFrom: new Date(written.validFromMs).toISOString(),
      validUntil: new Date(written.validUntilMs).toISOString(),
    };
  }

  private async reserve(batchId: number, citizenId: number, ip: string, now: number): Promise<ReserveResult> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const started = performance.now();
      const r = await this.gate.reserve(batchId, citizenId, ip, now);
      reserveSeconds.observe((performance.now() - started) / 1000);
      if (r.kind !== 'not_loaded') return r;
      await this.loader.ensureLoaded(batchId);
    }
    throw new ClaimingException('UNAVAILABLE', 'Claim counters are being rebuilt; try again in a moment');
  }

  /**
   * Redis or PostgreSQL failed before anything was written (a dropped connection, a timeout): the
   * claimant is told to try again (503), not that the server broke. A reservation a failed gate call
   * may have made waits in the pending set for reconciliation, as after a crash.
   */
  private unavailable(batchId: number, e: unknown): Error {
    if (e instanceof JinliException) return e;
    this.log.error(`claim on batch ${batchId} failed before the write: ${(e as Error).message}`);
    return new ClaimingException(
      'UNAVAILABLE',
      'Claiming is unavailable for a moment; nothing was claimed, try again',
    );
  }

  private flagFor(
    batch: boolean,
    r: { round: number; roundEndsAt: number; nextRoundOpensAt: number | null },
  ) {
    return batch
      ? { kind: 'batch' as const, round: null, untilMs: null, nextRoundOpensAt: null }
      : {
          kind: 'round' as const,
          round: r.round,
          untilMs: r.roundEndsAt,
          nextRoundOpensAt: r.nextRoundOpensAt,
        };
  }

  /** The answer to a refused claim; `markSoldOut`: tell every process (the gate said so, not PostgreSQL). */
  private refusal(
    batchId: number,
    r: Exclude<ReserveResult, { kind: 'reserved' }>,
    now: number,
    markSoldOut = true,
  ): Error {
    const serverTime = new Date(now).toISOString();
    switch (r.kind) {
      case 'batch_sold_out':
      case 'round_sold_out': {
        const flag = this.flagFor(r.kind === 'batch_sold_out', {
          round: r.kind === 'round_sold_out' ? r.round : 0,
          roundEndsAt: r.kind === 'round_sold_out' ? r.roundEndsAt : 0,
          nextRoundOpensAt: r.kind === 'round_sold_out' ? r.nextRoundOpensAt : null,
        });
        if (markSoldOut) this.board.mark(batchId, flag);
        const a = soldOutAnswer(flag, now);
        return new ClaimingException(a.body.code as 'CLAIM_ROUND_SOLD_OUT', a.body.message, a.body.details);
      }
      case 'not_open':
        return new ClaimingException(
          'CLAIM_ROUND_NOT_OPEN',
          r.opensAt === null ? 'No claim round is scheduled' : 'The round has not opened yet',
          { serverTime, opensAt: r.opensAt === null ? null : new Date(r.opensAt).toISOString() },
        );
      case 'limit_reached':
        return new ClaimingException(
          'CLAIM_LIMIT_REACHED',
          `You already hold ${r.limit} voucher(s) of this batch, the limit per person`,
          { limit: r.limit },
        );
      case 'not_eligible':
        return new ClaimingException('CLAIM_NOT_ELIGIBLE', ineligibleMessage(r.reason), {
          reason: r.reason,
        });
      case 'rate_limited':
        return new ClaimingException('RATE_LIMITED', 'Too many attempts; wait a moment', {
          retryAfterS: Math.ceil(r.retryAfterMs / 1000),
        });
      case 'not_loaded':
        return new ClaimingException('UNAVAILABLE', 'Claim counters are being rebuilt; try again');
    }
  }

  /** Gives the reservation back; retried after a reload when Redis is rebuilding. */
  private async releaseAfterFailure(batchId: number, citizenId: number, slot: number, round: number) {
    try {
      let released = await this.gate.release(batchId, citizenId, slot, round);
      if (released === -1) {
        await this.loader.ensureLoaded(batchId);
        released = await this.gate.release(batchId, citizenId, slot, round);
      }
      if (released === 1) this.board.clear(batchId);
    } catch (e) {
      // Reconciliation returns it after the grace period.
      this.log.warn(`release of a failed claim on batch ${batchId}: ${(e as Error).message}`);
    }
  }

  /**
   * What to answer when PostgreSQL refused or failed the row (the reservation is already released).
   * A refusal carries the same details as the gate's own (the limit; the round and when the next
   * one opens).
   */
  private writeFailure(
    batchId: number,
    e: unknown,
    rules: BatchRules,
    r: Extract<ReserveResult, { kind: 'reserved' }>,
    now: number,
  ): Error {
    if (e instanceof JinliException) return e;
    const refused = (constraint: string) => isConstraintViolation(e, constraint);
    if (pgErrorOf(e)?.code?.startsWith('23')) {
      // The database refused what Redis allowed: Redis was wrong; rebuild it from PostgreSQL.
      this.scheduleResync(batchId);
    }
    if (refused('uq_voucher_batch_citizen_slot') || refused('ck_voucher_slot_within_limit')) {
      return this.refusal(batchId, { kind: 'limit_reached', limit: rules.perCitizenLimit }, now, false);
    }
    if (refused('ck_batch_issued_within_quota')) {
      return this.refusal(batchId, { kind: 'batch_sold_out' }, now, false);
    }
    if (refused('ck_claim_round_issued_within_quota')) {
      return this.refusal(batchId, { ...r, kind: 'round_sold_out' }, now, false);
    }
    this.log.error(`claim write failed on batch ${batchId}: ${(e as Error).message}`);
    return new ClaimingException(
      'UNAVAILABLE',
      'The claim could not be recorded; nothing was claimed, try again',
    );
  }

  private scheduleResync(batchId: number): void {
    const last = this.resyncAt.get(batchId) ?? 0;
    if (Date.now() - last < 5000) return;
    this.resyncAt.set(batchId, Date.now());
    setTimeout(() => {
      this.writer
        .settled()
        .then(() => this.loader.rebuild(batchId))
        .then(() => this.board.clear(batchId))
        .catch((err: Error) => this.log.warn(`resync of batch ${batchId}: ${err.message}`));
    }, 100).unref();
  }

  private async isVerified(citizenId: number): Promise<boolean> {
    if (this.verified.has(citizenId)) return true;
    const [row] = (await this.dataSource.query('SELECT verified FROM citizen WHERE id = $1', [
      citizenId,
    ])) as {
      verified: boolean;
    }[];
    if (!row?.verified) return false;
    if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.clear();
    this.verified.add(citizenId);
    return true;
  }
}

export function ineligibleMessage(reason: string): string {
  const messages: Record<string, string> = {
    not_verified: 'This batch is for real-name verified residents',
    batch_not_published: 'This batch is not open for claims',
    batch_paused: 'Claims of this batch are paused',
    batch_ended: 'This batch has ended',
    campaign_not_running: 'The campaign is not running',
    campaign_paused: 'The campaign is paused',
    campaign_ended: 'The campaign has ended',
    validity_over: 'Vouchers of this batch are no longer valid',
    rounds_over: 'All claim rounds of this batch are over',
  };
  return messages[reason] ?? 'Not eligible';
}
