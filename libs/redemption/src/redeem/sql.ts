import { createHash } from 'node:crypto';
import { EntityManager } from 'typeorm';

/** Rows of an UPDATE/DELETE ... RETURNING (TypeORM answers those with [rows, count]). */
export async function changed<T>(m: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const result = (await m.query(sql, params)) as [T[], number] | T[];
  return Array.isArray(result[0]) ? (result[0] as T[]) : (result as T[]);
}

/** A 64-bit advisory lock id for a tuple of values. */
export function lockId(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\0')).digest().readBigInt64BE(0).toString();
}
