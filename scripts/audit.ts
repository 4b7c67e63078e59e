import Redis from 'ioredis';
import { loadConfig, redisOptions } from '@jinli/platform';
import { createDataSource } from '../db/data-source';
import { formatReport, runAudit } from './audit/registry';

/**
 * `npm run audit`: checks the invariants of every batch in PostgreSQL and that the Redis counters
 * agree with PostgreSQL. Prints a report; exits 1 on any violation (2 when it could not run).
 * Read-only. `--json` prints the report as JSON.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const dataSource = createDataSource(config, 'jinli-audit');
  await dataSource.initialize();
  const redis = new Redis(redisOptions(config.redis.url, { maxRetriesPerRequest: 2 }));
  try {
    const report = await runAudit({
      dataSource,
      redis,
      keyPrefix: config.redis.keyPrefix,
      businessTimeZone: config.businessTimeZone,
    });
    console.log(process.argv.includes('--json') ? JSON.stringify(report, null, 2) : formatReport(report));
    process.exitCode = report.ok ? 0 : 1;
  } finally {
    redis.disconnect();
    await dataSource.destroy();
  }
}

main().catch((e: unknown) => {
  console.error((e as Error).message ?? e);
  process.exit(2);
});
