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

/**
 * Adds `delta` fen per funder to committed_fen, one row at a time in funder id order, so two
 * transactions touching the same funders lock them in the same order and never deadlock (a single
 * UPDATE ... FROM gives no such order). ck_funder_committed_within_budget refuses an overspent funder.
 */
export async function addCommitted(
  m: EntityManager,
  amounts: { funderId: number; amountFen: number }[],
  sign: 1 | -1,
): Promise<void> {
  const rows = amounts.filter((a) => a.amountFen !== 0).sort((a, b) => a.funderId - b.funderId);
  for (const r of rows) {
    await m.query(`UPDATE funder SET committed_fen = committed_fen + $2 WHERE id = $1`, [
      r.funderId,
      sign * r.amountFen,
    ]);
  }
}
