import { DataSource } from 'typeorm';

/** Tables whose rows a refused request must leave exactly as they were. */
export const SNAPSHOT_TABLES = [
  'funder',
  'campaign',
  'campaign_funder',
  'voucher_batch',
  'claim_round',
  'merchant',
  'store',
  'staff_account',
  'citizen',
  'voucher',
  'redemption',
  'audit_log',
] as const;

export type DbSnapshot = Record<string, unknown[]>;

/**
 * Every row of the given tables, ordered. Tests run one file at a time per database, so comparing two
 * snapshots taken around a refused call proves the call changed nothing anywhere.
 */
export async function dbSnapshot(
  ds: DataSource,
  tables: readonly string[] = SNAPSHOT_TABLES,
): Promise<DbSnapshot> {
  const out: DbSnapshot = {};
  for (const table of tables) {
    if (!/^[a-z_]+$/.test(table)) throw new Error(`not a table name: ${table}`);
    out[table] = (await ds.query(`SELECT * FROM ${table} ORDER BY 1, 2`)) as unknown[];
  }
  return out;
}

/** The error code a rejected promise carried (JinliException.code, or a PostgreSQL constraint). */
export async function refusal(
  work: Promise<unknown>,
): Promise<{ code?: string; constraint?: string; error: unknown }> {
  try {
    await work;
  } catch (error) {
    const e = error as {
      code?: string;
      constraint?: string;
      driverError?: { constraint?: string; code?: string };
    };
    return {
      code: e.code ?? e.driverError?.code,
      constraint: e.constraint ?? e.driverError?.constraint,
      error,
    };
  }
  throw new Error('expected a refusal, but the call succeeded');
}

/**
 * Runs `work`, expects it to be refused with `code`, and expects the database unchanged. Returns the
 * error for further checks (message, details).
 */
export async function expectRefusedUnchanged<E = { code: string; message: string; details?: unknown }>(
  ds: DataSource,
  work: () => Promise<unknown>,
  code: string,
  tables: readonly string[] = SNAPSHOT_TABLES,
): Promise<E> {
  const before = await dbSnapshot(ds, tables);
  const r = await refusal(work());
  expect({ code: r.code, error: r.error }).toEqual({ code, error: expect.anything() });
  const after = await dbSnapshot(ds, tables);
  expect(after).toEqual(before);
  return r.error as E;
}
