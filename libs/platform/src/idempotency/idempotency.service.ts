import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Clock } from '../clock/clock';
import { preparedQuery, TransactionRunner } from '../database/transaction';
import { JinliException } from '../errors/jinli.exception';

export interface IdempotentRequest {
  /** Whose key this is, e.g. `cashier:42`: keys of different callers never meet. */
  scope: string;
  /** The client's Idempotency-Key. */
  key: string;
  /** What the request asks for (route and body): the same key with another request is refused. */
  fingerprint: unknown;
}

export interface IdempotentResponse<T> {
  status: number;
  body: T;
  /** True when this is the stored answer of an earlier request with the same key. */
  replayed: boolean;
}

export interface StoredRow<T> {
  request_hash: string;
  response_status: number;
  response_body: T;
}

const KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * Stripe-style idempotency keys. The work, the record of its answer and the key's lock share one
 * transaction, so an answer is stored exactly when its effect commits:
 * - first request with a key: runs the work and stores `{status, body}` with it;
 * - same key and same request later: the stored answer, without running anything;
 * - same key, another request: IDEMPOTENCY_KEY_REUSED;
 * - same key while the first is still running: IDEMPOTENCY_IN_PROGRESS (409), no effect.
 * A refused or failed request stores nothing (its transaction rolled back), so the key can be retried:
 * redemption rules depend on the time of day and a stored refusal would outlive its cause.
 * The in-flight lock is a transaction-scoped advisory lock: it cannot outlive a crashed process. The
 * record's primary key is the final proof: a second answer for a key can never commit.
 * Redemption keeps the same protocol inside one database statement (redeem_voucher, see
 * RedemptionService), using lockId(), replay() and stored() from here.
 */
@Injectable()
export class IdempotencyService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
  ) {}

  static checkKey(key: string | string[] | undefined): string {
    const value = Array.isArray(key) ? key[0] : key;
    if (value === undefined || value === '')
      throw new JinliException(
        'IDEMPOTENCY_KEY_REQUIRED',
        'Send an Idempotency-Key header with this request',
      );
    if (!KEY.test(value)) {
      throw new JinliException(
        'VALIDATION_FAILED',
        'Idempotency-Key must be 1-200 printable ASCII characters',
        [{ field: 'Idempotency-Key', problems: ['must be 1-200 printable ASCII characters'] }],
      );
    }
    return value;
  }

  static hash(fingerprint: unknown): string {
    return createHash('sha256').update(stableJson(fingerprint)).digest('hex');
  }

  /**
   * The stored answer for a request with this hash, or IDEMPOTENCY_KEY_REUSED when the key was used
   * for another request; undefined when nothing is stored.
   */
  static replay<T>(stored: StoredRow<T> | undefined, hash: string): IdempotentResponse<T> | undefined {
    if (!stored) return undefined;
    if (stored.request_hash !== hash) {
      throw new JinliException(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was used for another request; use a new key for a new request',
      );
    }
    return { status: stored.response_status, body: stored.response_body, replayed: true };
  }

  static inProgress(): JinliException {
    return new JinliException(
      'IDEMPOTENCY_IN_PROGRESS',
      'A request with this Idempotency-Key is still being processed; retry it in a moment',
    );
  }

  /** The transaction-scoped advisory lock that marks a key's request in flight (a 64-bit id). */
  static lockId(scope: string, key: string): string {
    return createHash('sha256').update(`idempotency\0${scope}\0${key}`).digest().readBigInt64BE(0).toString();
  }

  async run<T>(
    request: IdempotentRequest,
    work: (manager: EntityManager) => Promise<{ status: number; body: T }>,
  ): Promise<IdempotentResponse<T>> {
    const key = IdempotencyService.checkKey(request.key);
    const hash = IdempotencyService.hash(request.fingerprint);
    const replay = (stored: StoredRow<T> | undefined) => IdempotencyService.replay(stored, hash);
    let ran = false;
    try {
      return await this.tx.run(async (m) => {
        // One round trip: try the key's lock and read a stored answer. A stored answer is replayed even
        // without the lock (another retry of the same key may be reading it too).
        const [row] = await preparedQuery<Partial<StoredRow<T>> & { locked: boolean }>(
          m,
          'jinli_idempotency_lock',
          `SELECT pg_try_advisory_xact_lock($1::bigint) AS locked, r.request_hash, r.response_status, r.response_body
             FROM (SELECT 1) one LEFT JOIN idempotency_record r ON r.scope = $2 AND r.key = $3`,
          [IdempotencyService.lockId(request.scope, key), request.scope, key],
        );
        const done = replay(
          row.request_hash === null || row.request_hash === undefined ? undefined : (row as StoredRow<T>),
        );
        if (done) return done;
        if (!row.locked) throw IdempotencyService.inProgress();
        ran = true;
        const result = await work(m);
        await preparedQuery(
          m,
          'jinli_idempotency_record',
          `INSERT INTO idempotency_record (scope, key, request_hash, state, response_status, response_body, created_at, completed_at)
           VALUES ($1, $2, $3, 'done', $4, $5, $6, $6)`,
          [request.scope, key, hash, result.status, JSON.stringify(result.body), this.clock.now()],
        );
        return { status: result.status, body: result.body, replayed: false };
      });
    } catch (e) {
      // The read above shares a snapshot with the lock attempt: a first request that committed just
      // in between is invisible to it. This run then fails (the voucher is taken, or the record's
      // primary key refuses a second answer) and rolls back: answer with the first one instead.
      if (ran) {
        const stored = replay(await this.stored<T>(this.tx.dataSource.manager, request.scope, key));
        if (stored) return stored;
      }
      throw e;
    }
  }

  /** The stored answer of a key, if any (read outside any transaction: committed answers only). */
  async stored<T>(m: EntityManager, scope: string, key: string): Promise<StoredRow<T> | undefined> {
    const [row] = (await m.query(
      `SELECT request_hash, response_status, response_body FROM idempotency_record WHERE scope = $1 AND key = $2`,
      [scope, key],
    )) as StoredRow<T>[];
    return row;
  }

  /** Forgets answers older than `before` (clients retry within minutes, not weeks). */
  async purge(before: Date, limit = 10_000): Promise<number> {
    const rows = (await this.tx.dataSource.query(
      `DELETE FROM idempotency_record WHERE ctid IN (
         SELECT ctid FROM idempotency_record WHERE created_at < $1 LIMIT $2) RETURNING 1`,
      [before, limit],
    )) as unknown[];
    return rows.length;
  }
}

/** JSON with sorted object keys, so the same request always hashes the same. */
export function stableJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}
