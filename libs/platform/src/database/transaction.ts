import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';

/**
 * Transactions start at the boundary (a controller's use case, a job) and the EntityManager is
 * passed down explicitly, so every write of one use case commits or rolls back together.
 */
@Injectable()
export class TransactionRunner {
  constructor(readonly dataSource: DataSource) {}

  run<T>(work: (manager: EntityManager) => Promise<T>, isolation?: IsolationLevel): Promise<T> {
    return isolation ? this.dataSource.transaction(isolation, work) : this.dataSource.transaction(work);
  }
}

/** PostgreSQL error codes Jinli reacts to. */
export const PgError = {
  UniqueViolation: '23505',
  CheckViolation: '23514',
  ForeignKeyViolation: '23503',
  NotNullViolation: '23502',
  SerializationFailure: '40001',
  DeadlockDetected: '40P01',
  RaiseException: 'P0001',
  /** A value beyond its type's range, e.g. 9999999999 cast to integer. */
  NumericValueOutOfRange: '22003',
  /** Text that is not a value of the type, e.g. 'abc' cast to integer. */
  InvalidTextRepresentation: '22P02',
} as const;

export interface PgDriverError {
  code?: string;
  constraint?: string;
  detail?: string;
  table?: string;
}

/** The driver error behind a TypeORM QueryFailedError (or the error itself from pg). */
export function pgErrorOf(error: unknown): PgDriverError | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as { driverError?: PgDriverError; code?: string };
  if (e.driverError && typeof e.driverError === 'object') return e.driverError;
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e as PgDriverError;
  return undefined;
}

export function isConstraintViolation(error: unknown, constraint?: string): boolean {
  const pg = pgErrorOf(error);
  if (!pg) return false;
  const violation = pg.code === PgError.UniqueViolation || pg.code === PgError.CheckViolation;
  return violation && (constraint === undefined || pg.constraint === constraint);
}

interface PgClientLike {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Runs a hot statement as a named prepared statement on the transaction's connection: PostgreSQL
 * parses and plans it once per connection instead of on every call (measured on the redemption
 * path: parse and bind were half of PostgreSQL's time per redemption). The name must be unique per
 * SQL text. Outside a transaction (no query runner) it falls back to a plain query. Returns the rows,
 * also for UPDATE ... RETURNING.
 */
export async function preparedQuery<T>(
  m: EntityManager,
  name: string,
  text: string,
  params: unknown[],
): Promise<T[]> {
  const runner = m.queryRunner as
    (EntityManager['queryRunner'] & { connect(): Promise<unknown> }) | undefined;
  if (!runner || runner.isReleased) return pooledQuery<T>(m.connection, name, text, params);
  const client = (await runner.connect()) as PgClientLike;
  const { rows } = await client.query({ name, text, values: params });
  return rows as T[];
}

/**
 * Runs a hot statement outside any transaction (autocommit: a single statement is its own
 * transaction) as a named prepared statement on whichever pooled connection is free: one round trip,
 * parsed and planned once per connection. Errors are the driver's (pgErrorOf reads them).
 */
export async function pooledQuery<T>(
  dataSource: DataSource,
  name: string,
  text: string,
  params: unknown[],
): Promise<T[]> {
  const pool = (dataSource.driver as unknown as { master?: PgClientLike }).master;
  if (!pool) throw new Error('pooledQuery needs the PostgreSQL driver with its pool connected');
  const { rows } = await pool.query({ name, text, values: params });
  return rows as T[];
}
