import { Injectable } from '@nestjs/common';
import { Clock, TransactionRunner } from '@jinli/platform';
import { ClaimingException } from '../claiming.exception';

/**
 * The usual way to write a claim, kept only as the benchmark's baseline (route mounted with
 * CLAIM_BENCH_ROUTES=true): one transaction per claim that locks the batch row, checks quota, round
 * and limit by reading PostgreSQL, and inserts. Every claim of a batch queues on that one row lock.
 */
@Injectable()
export class NaiveClaimService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
  ) {}

  claim(batchId: number, citizenId: number): Promise<{ id: number; slot: number }> {
    const now = this.clock.now();
    return this.tx.run(async (m) => {
      const [b] = (await m.query(
        `SELECT quota, issued_count, returned_count, per_citizen_limit, status, validity_kind, valid_from,
                valid_until, valid_days FROM voucher_batch WHERE id = $1 FOR UPDATE`,
        [batchId],
      )) as {
        quota: number;
        issued_count: number;
        returned_count: number;
        per_citizen_limit: number;
        status: string;
        validity_kind: string;
        valid_from: Date | null;
        valid_until: Date | null;
        valid_days: number | null;
      }[];
      if (!b) throw new ClaimingException('BATCH_NOT_FOUND', `Batch ${batchId} was not found`);
      if (b.status !== 'published')
        throw new ClaimingException('CLAIM_NOT_ELIGIBLE', 'Not open', { reason: 'batch_not_published' });
      if (b.issued_count - b.returned_count >= b.quota)
        throw new ClaimingException('CLAIM_BATCH_SOLD_OUT', 'Sold out');
      const [round] = (await m.query(
        `SELECT id, quota + carried_in - carried_out - issued_count AS free FROM claim_round
          WHERE batch_id = $1 AND opens_at <= $2 AND (closes_at IS NULL OR closes_at > $2)
          ORDER BY seq DESC LIMIT 1`,
        [batchId, now],
      )) as { id: number; free: number }[];
      if (!round)
        throw new ClaimingException('CLAIM_ROUND_NOT_OPEN', 'Not open', { serverTime: now.toISOString() });
      if (round.free <= 0) throw new ClaimingException('CLAIM_ROUND_SOLD_OUT', 'Sold out');
      const [{ n }] = (await m.query(
        `SELECT count(*)::int AS n FROM voucher WHERE batch_id = $1 AND citizen_id = $2`,
        [batchId, citizenId],
      )) as { n: number }[];
      if (n >= b.per_citizen_limit) throw new ClaimingException('CLAIM_LIMIT_REACHED', 'Limit reached');
      const until =
        b.validity_kind === 'fixed'
          ? (b.valid_until as Date)
          : new Date(now.getTime() + (b.valid_days ?? 1) * 86_400_000);
      const from = b.validity_kind === 'fixed' ? (b.valid_from as Date) : now;
      const [row] = (await m.query(
        `INSERT INTO voucher (batch_id, round_id, citizen_id, slot, claimed_at, valid_from, valid_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [batchId, round.id, citizenId, n + 1, now, from, until],
      )) as { id: number }[];
      return { id: row.id, slot: n + 1 };
    });
  }
}
