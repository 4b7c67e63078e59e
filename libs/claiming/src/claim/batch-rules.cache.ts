import { performance } from 'node:perf_hooks';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ClaimingException } from '../claiming.exception';
import { ValidityRule } from './voucher-validity';

export interface BatchRules extends ValidityRule {
  batchId: number;
  requiresVerified: boolean;
  perCitizenLimit: number;
}

const TTL_MS = 10_000;

/**
 * The per-batch rules a claim needs besides the gate (verification, validity), kept in memory for a
 * few seconds so a burst of claims does not read the batch row each time. Dropped when any process
 * says the batch changed.
 */
@Injectable()
export class BatchRulesCache {
  private readonly cache = new Map<number, { at: number; rules: Promise<BatchRules> }>();

  constructor(private readonly dataSource: DataSource) {}

  get(batchId: number): Promise<BatchRules> {
    const hit = this.cache.get(batchId);
    if (hit && performance.now() - hit.at < TTL_MS) return hit.rules;
    const rules = this.read(batchId);
    this.cache.set(batchId, { at: performance.now(), rules });
    rules.catch(() => this.cache.delete(batchId));
    return rules;
  }

  invalidate(batchId: number): void {
    this.cache.delete(batchId);
  }

  private async read(batchId: number): Promise<BatchRules> {
    const [row] = (await this.dataSource.query(
      `SELECT b.requires_verified, b.per_citizen_limit, b.validity_kind, b.valid_from, b.valid_until, b.valid_days, c.ends_at
         FROM voucher_batch b JOIN campaign c ON c.id = b.campaign_id WHERE b.id = $1`,
      [batchId],
    )) as {
      requires_verified: boolean;
      per_citizen_limit: number;
      validity_kind: 'fixed' | 'relative';
      valid_from: Date | null;
      valid_until: Date | null;
      valid_days: number | null;
      ends_at: Date;
    }[];
    if (!row) throw new ClaimingException('BATCH_NOT_FOUND', `Batch ${batchId} was not found`);
    return {
      batchId,
      requiresVerified: row.requires_verified,
      perCitizenLimit: row.per_citizen_limit,
      validityKind: row.validity_kind,
      validFromMs: row.valid_from?.getTime() ?? null,
      validUntilMs: row.valid_until?.getTime() ?? null,
      validDays: row.valid_days,
      campaignEndsAtMs: row.ends_at.getTime(),
    };
  }
}
