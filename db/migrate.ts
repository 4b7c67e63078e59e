import { DataSource } from 'typeorm';
import { AppConfig } from '@jinli/platform';
import { createDataSource } from './data-source';

/** Creates the database when missing, then applies pending migrations. Returns their names. */
export async function migrate(
  config: AppConfig,
  log: (line: string) => void = () => undefined,
): Promise<string[]> {
  await ensureDatabase(config.database.url, log);
  const ds = createDataSource(config, 'jinli-migrate');
  await ds.initialize();
  try {
    const applied = await ds.runMigrations({ transaction: 'each' });
    for (const m of applied) log(`migration applied: ${m.name}`);
    return applied.map((m) => m.name);
  } finally {
    await ds.destroy();
  }
}

/** Reverts the last `steps` migrations. */
export async function revert(
  config: AppConfig,
  steps = 1,
  log: (line: string) => void = () => undefined,
): Promise<void> {
  const ds = createDataSource(config, 'jinli-migrate');
  await ds.initialize();
  try {
    for (let i = 0; i < steps; i++) {
      await ds.undoLastMigration({ transaction: 'each' });
      log('reverted one migration');
    }
  } finally {
    await ds.destroy();
  }
}

export async function ensureDatabase(
  url: string,
  log: (line: string) => void = () => undefined,
): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const ds = new DataSource({ type: 'postgres', url: admin.toString() });
  await ds.initialize();
  try {
    const rows = (await ds.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])) as unknown[];
    if (rows.length === 0) {
      await ds.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      log(`database created: ${name}`);
    }
  } finally {
    await ds.destroy();
  }
}
