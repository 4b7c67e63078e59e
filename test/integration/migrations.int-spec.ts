import { DataSource } from 'typeorm';
import { loadConfig } from '@jinli/platform';
import { migrate, revert } from '@jinli/db/migrate';
import { MIGRATIONS } from '@jinli/db/migrations';
import { databaseName, databaseUrl } from '../setup/test-databases';

/** Everything a migration can create, in a comparable form. */
async function schemaOf(url: string): Promise<Record<string, unknown[]>> {
  const ds = new DataSource({ type: 'postgres', url });
  await ds.initialize();
  try {
    const q = (sql: string) => ds.query(sql) as Promise<unknown[]>;
    return {
      columns: await q(
        `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name <> 'schema_migration' ORDER BY 1, 2`,
      ),
      constraints: await q(
        `SELECT conrelid::regclass::text AS t, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
          WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'schema_migration' ORDER BY 1, 2`,
      ),
      indexes: await q(
        `SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> 'schema_migration' ORDER BY 1, 2`,
      ),
      triggers: await q(
        `SELECT tgrelid::regclass::text AS t, tgname, pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2`,
      ),
      functions: await q(
        `SELECT proname, pg_get_functiondef(oid) AS def FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1`,
      ),
      tables: await q(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migration' ORDER BY 1`,
      ),
    };
  } finally {
    await ds.destroy();
  }
}

describe('migrations', () => {
  const name = databaseName('migrations');
  const url = databaseUrl(name);
  const config = loadConfig({ ...process.env, DATABASE_URL: url });
  const admin = new DataSource({ type: 'postgres', url: databaseUrl('postgres') });

  beforeAll(async () => {
    await admin.initialize();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.destroy();
  });

  it('create the database, apply in order, revert every one down to nothing, and apply again to the same schema', async () => {
    const applied = await migrate(config);
    expect(applied).toEqual(MIGRATIONS.map((m) => new m().name));
    expect(await migrate(config)).toEqual([]);
    const first = await schemaOf(url);
    expect(first.constraints.length).toBeGreaterThan(50);

    await revert(config, MIGRATIONS.length);
    const empty = await schemaOf(url);
    expect(empty.tables).toEqual([]);
    expect(empty.columns).toEqual([]);
    expect(empty.triggers).toEqual([]);
    expect(empty.functions).toEqual([]);

    expect(await migrate(config)).toEqual(applied);
    expect(await schemaOf(url)).toEqual(first);
    // Reference data comes back with the schema.
    const ds = new DataSource({ type: 'postgres', url });
    await ds.initialize();
    const counts = (await ds.query(
      `SELECT (SELECT count(*)::int FROM district) AS districts, (SELECT count(*)::int FROM category) AS categories`,
    )) as unknown[];
    await ds.destroy();
    expect(counts).toEqual([{ districts: 10, categories: 7 }]);
  });

  it('are each a class named with a timestamp, in ascending order', () => {
    const names = MIGRATIONS.map((m) => new m().name);
    const stamps = names.map((n) => Number(/(\d{13})$/.exec(n)?.[1]));
    expect(stamps.every((s) => Number.isFinite(s))).toBe(true);
    expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
    expect(new Set(stamps).size).toBe(stamps.length);
    MIGRATIONS.forEach((m, i) => expect(m.name).toBe(names[i]));
  });
});
