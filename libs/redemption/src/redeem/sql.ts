import { EntityManager } from 'typeorm';

/** Rows of an UPDATE/DELETE ... RETURNING (TypeORM answers those with [rows, count]). */
export async function changed<T>(m: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const result = (await m.query(sql, params)) as [T[], number] | T[];
  return Array.isArray(result[0]) ? (result[0] as T[]) : (result as T[]);
}
