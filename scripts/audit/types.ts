import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';

/** What a check may read. Checks only read: an audit never repairs anything. */
export interface AuditContext {
  dataSource: DataSource;
  redis: Redis;
  /** REDIS_KEY_PREFIX of the deployment. */
  keyPrefix: string;
  /** BUSINESS_TZ of the deployment (default: read from the environment). */
  businessTimeZone?: string;
  /** The instant ages are measured to (default: now). */
  now?: Date;
}

export interface AuditViolation {
  check: string;
  /** What is wrong, e.g. `batch 7` or `batch 7 round 2`. */
  subject: string;
  message: string;
  details?: Record<string, unknown>;
}

export interface AuditCheck {
  /** `<context>.<invariant>`, e.g. `claiming.batch_within_quota`. */
  name: string;
  description: string;
  /**
   * `violation` (default): what it finds fails the audit. `warning`: reported for someone to act on
   * (e.g. claw-backs still owed), while the audit passes.
   */
  severity?: 'violation' | 'warning';
  run(ctx: AuditContext): Promise<AuditViolation[]>;
}
