import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * Tests never touch the demo data: each jest worker gets its own database (a copy of a freshly
 * migrated template) and its own Redis database number. Several checkouts on one machine keep apart
 * through an optional, git-ignored `.jinli-test.json`: { "ns": "claiming", "redisDbBase": 5 }.
 */
const ROOT = join(__dirname, '..', '..');
const local = existsSync(join(ROOT, '.jinli-test.json'))
  ? (JSON.parse(readFileSync(join(ROOT, '.jinli-test.json'), 'utf8')) as {
      ns?: string;
      redisDbBase?: number;
    })
  : {};
export const TEST_NS = (process.env.JINLI_TEST_NS ?? local.ns ?? basename(ROOT))
  .replace(/[^a-z0-9_]/gi, '')
  .toLowerCase();
export const BASE_DATABASE_URL =
  process.env.JINLI_TEST_DATABASE_URL ??
  process.env.DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';
export const BASE_REDIS_URL =
  process.env.JINLI_TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
/** First Redis database number used by tests (worker 1); workers use consecutive numbers. */
export const REDIS_DB_BASE = Number(process.env.JINLI_TEST_REDIS_DB_BASE ?? local.redisDbBase ?? 1);

export function databaseName(worker: string | number): string {
  return `jinli_test_${TEST_NS}_${worker}`;
}

export function databaseUrl(name: string): string {
  const u = new URL(BASE_DATABASE_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export function redisUrl(worker: number): string {
  const u = new URL(BASE_REDIS_URL);
  u.pathname = `/${REDIS_DB_BASE + worker - 1}`;
  return u.toString();
}
