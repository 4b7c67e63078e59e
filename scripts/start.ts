import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@jinli/platform';
import { createDataSource } from '../db/data-source';
import { migrate } from '../db/migrate';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, isEmpty, seedSuzhouDemo } from '../db/seeds/suzhou-demo';
import { DATA_DIR, ensureServices, Services } from './lib/services';

const DIST = join(__dirname, '..');

/**
 * `npm start`: finds or starts PostgreSQL and Redis, applies migrations, loads the Suzhou demo data
 * into an empty database, runs the API and the worker, and prints where to go and how to sign in.
 */
async function main(): Promise<void> {
  // Filled in below; the shutdown handler is installed before any service exists.
  const started: { services?: Services } = {};
  const children: ChildProcess[] = [];
  let stopping = false;
  // Ctrl+C reaches the children too (same process group); SIGTERM covers a `kill` of this process
  // alone. Each child closes its connections, then PostgreSQL/Redis started here are stopped.
  // Installed first, so an interrupted migration or seed (one transaction) still stops the services.
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping Jinli...');
    await Promise.all(children.map((c) => stopChild(c, 10_000)));
    await started.services?.stop();
    process.exit(code);
  };
  // Ctrl+C is how one stops Jinli: a clean stop, exit code 0.
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  const services = await ensureServices(process.env);
  started.services = services;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
  };
  const config = loadConfig(env);
  for (const note of services.notes) console.log(note);

  await migrate(config, (line) => console.log(line));
  const ds = createDataSource(config);
  await ds.initialize();
  let seeded = false;
  try {
    if (config.env !== 'production' && (await isEmpty(ds))) {
      const summary = await seedSuzhouDemo(ds, new Date());
      console.log(
        `Suzhou demo data loaded: ${summary.funders} funders, ${summary.campaigns} campaigns, ${summary.batches} batches, ${summary.merchants} merchants, ${summary.stores} stores, ${summary.cashiers} cashiers`,
      );
      seeded = true;
    }
  } finally {
    await ds.destroy();
  }

  const logs = join(DATA_DIR, 'logs');
  mkdirSync(logs, { recursive: true });
  const run = (name: string, script: string) => {
    const child = spawn(process.execPath, [join(DIST, script)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(join(logs, `${name}.log`), { flags: 'a' });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${name}] ${d.toString()}`));
    child.on('exit', (code, signal) => {
      if (!stopping) {
        console.error(`${name} exited (${signal ?? code}); see ${join(logs, `${name}.log`)}`);
        void shutdown(1);
      }
    });
    children.push(child);
  };
  run('api', 'apps/api/src/main.js');
  run('worker', 'apps/worker/src/main.js');

  const base = `http://${config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host}:${config.http.port}`;
  let healthy = false;
  for (let i = 0; i < 150 && !healthy && !stopping; i++) {
    try {
      healthy = (await fetch(`${base}/health`)).ok;
    } catch {
      // not up yet
    }
    if (!healthy) await new Promise((r) => setTimeout(r, 200));
  }
  if (stopping) return;
  if (!healthy) console.warn(`warning: ${base}/health did not answer OK within 30 s; see ${logs}/api.log`);

  console.log(`
锦鲤 Jinli is running${seeded ? ' with fresh Suzhou demo data' : ''}.

  市民 H5 (citizen, phone-sized):  ${base}/h5/
  商户收银台 (merchant till):       ${base}/merchant/
  管理后台 (operator/finance/audit): ${base}/console/
  API docs (OpenAPI):              ${base}/docs
  Health:                          ${base}/health

Demo sign-ins (password for all: ${DEMO_PASSWORD}):
${DEMO_ACCOUNTS.map((a) => `  ${a.username.padEnd(20)} ${a.what}`).join('\n')}
  citizens: any mobile number; in development the SMS code is shown on the page and in the API log.

Logs: ${logs}/api.log and worker.log. Stop with Ctrl+C.`);
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

main().catch((e: unknown) => {
  console.error((e as Error).message ?? e);
  process.exit(1);
});
