import { EntityManager } from 'typeorm';

/**
 * The rows of a query. TypeORM answers UPDATE/DELETE ... RETURNING with [rows, rowCount] and
 * everything else with rows; this gives rows either way.
 */
export async function queryRows<T>(m: EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  const result = (await m.query(sql, params)) as unknown;
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  )
    return result[0] as T[];
  return result as T[];
}
