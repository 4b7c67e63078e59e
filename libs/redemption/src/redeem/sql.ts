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
 * Adds `delta` fen per funder to committed_fen, locking the funder rows in id order first so two
 * transactions never deadlock. ck_funder_committed_within_budget refuses an overspent funder.
 */
export async function addCommitted(
  m: EntityManager,
  amounts: { funderId: number; amountFen: number }[],
  sign: 1 | -1,
): Promise<void> {
  const rows = amounts.filter((a) => a.amountFen !== 0).sort((a, b) => a.funderId - b.funderId);
  if (rows.length === 0) return;
  await m.query(
    `WITH locked AS (SELECT id FROM funder WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE)
     UPDATE funder f SET committed_fen = f.committed_fen + x.delta
       FROM unnest($1::int[], $2::bigint[]) AS x(funder_id, delta), locked
      WHERE f.id = x.funder_id AND locked.id = f.id`,
    [rows.map((r) => r.funderId), rows.map((r) => sign * r.amountFen)],
  );
}
