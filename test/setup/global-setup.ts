import { join } from 'node:path';
import { register } from 'tsconfig-paths';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { databaseName, databaseUrl, redisUrl } from './test-databases';

// globalSetup runs outside jest's module mapper: resolve @jinli/* through tsconfig paths.
register({
  baseUrl: join(__dirname, '..', '..'),
  paths: { '@jinli/db/*': ['db/*'], '@jinli/*': ['libs/*/src'] },
});

/**
 * Migrates a template database once, then gives each jest worker a fresh copy of it and an empty
 * Redis database (its own number, see test-databases.ts), so nothing leaks from an earlier run.
 */
export default async function globalSetup(globalConfig: { maxWorkers: number }): Promise<void> {
  const { loadConfig } = await import('@jinli/platform');
  const { migrate } = await import('@jinli/db/migrate');
  const admin = new DataSource({ type: 'postgres', url: databaseUrl('postgres') });
  await admin.initialize();
  try {
    const template = databaseName('tpl');
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await migrate(loadConfig({ ...process.env, NODE_ENV: 'test', DATABASE_URL: databaseUrl(template) }));
    for (let w = 1; w <= Math.max(globalConfig.maxWorkers, 1); w++) {
      const name = databaseName(`w${w}`);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    }
  } finally {
    await admin.destroy();
  }
  for (let w = 1; w <= Math.max(globalConfig.maxWorkers, 1); w++) {
    const redis = new Redis(redisUrl(w), { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      await redis.flushdb();
    } finally {
      redis.disconnect();
    }
  }
}
