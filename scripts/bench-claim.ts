import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import { claimKeys, defineGateCommands, fullMeta, parseReserve, reserveCall } from '@jinli/claiming';
import { Role } from '@jinli/contracts';
import { loadConfig, redisOptions, TokenService } from '@jinli/platform';
import { createDataSource } from '../db/data-source';
import { ensureDatabase, migrate } from '../db/migrate';
import { runAudit } from './audit/registry';
import { DATA_DIR, ensureServices } from './lib/services';
import { percentile } from './lib/stats';

/**
 * `npm run bench:claim`: the claim route of the production build under a burst.
 *
 *   npm run bench:claim -- --quota 20000 --claims 200000 --connections 200
 *
 * Starts the compiled API (NODE_ENV=production) as a child process against the local PostgreSQL
 * (database jinli_bench_claiming, recreated) and Redis (keys under the prefix jbench-claiming:, removed
 * afterwards; nothing else is touched), creates a batch of quota Q and N citizens with tokens minted
 * beforehand, and sends one claim per citizen over C connections with autocannon. In the same run
 * and with the same client it measures (a) the raw Redis ceiling: the same Lua script called
 * straight from Node, one claim per call, (b) a hello route of the same API process, (c) a naive claim (one PostgreSQL
 * transaction per claim locking the batch row). The per-IP rate limit is raised (every request comes
 * from 127.0.0.1) and the benchmark-only naive route is mounted; everything else is the production
 * configuration. The last line is one JSON object.
 *
 * The round opens --opens-in-ms (default 2,000) after the claims start, as on the day: claimants
 * are on the page and pressing before 10:00, so their connections are open when the round opens;
 * the early presses get "round not open yet" and are reported apart. Latency, rates and CPU are
 * those of the claims sent from the opening on. With --opens-in-ms 0 the round is open from the
 * start and the figures include opening 200 connections under load: Node 20 (libuv 1.46) accepts
 * one connection per event-loop iteration, so a busy API takes up to a second or two to accept
 * them all and their first claims wait that long.
 *
 *   --timeline FILE   writes [ms since start, latency ms, status] of every burst answer (JSON)
 */

interface Options {
  quota: number;
  claims: number;
  connections: number;
  naiveQuota: number;
  naiveClaims: number;
  helloSeconds: number;
  luaCalls: number;
  /** The burst's round opens this long after the claims start (0: open from the start). */
  opensInMs: number;
  /** Where to write [ms since start, latency ms, status] of every burst answer (JSON). */
  timeline: string | undefined;
  logLevel: string | undefined;
  /** Extra node flags for the API process (profiling: --cpu-prof). */
  apiNodeOptions: string | undefined;
}

function options(argv: string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  };
  const int = (name: string, dflt: number, min = 1) => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min} (got ${v})`);
    return n;
  };
  const quota = int('quota', 20_000);
  const claims = int('claims', 200_000);
  const naiveQuota = int('naive-quota', Math.min(quota, 5_000));
  return {
    quota,
    claims,
    connections: int('connections', 200),
    naiveQuota,
    naiveClaims: int('naive-claims', naiveQuota * 2),
    helloSeconds: int('hello-seconds', 5),
    luaCalls: int('lua-calls', Math.min(claims, 100_000)),
    opensInMs: int('opens-in-ms', 2_000, 0),
    timeline: get('timeline'),
    logLevel: get('log-level'),
    apiNodeOptions: get('api-node-options'),
  };
}

const BENCH_DB = 'jinli_bench_claiming';
const PREFIX = 'jbench-claiming:';
const CHILD_ENV_RAISED = { CLAIM_RATE_PER_IP: '1000000000', CLAIM_BENCH_ROUTES: 'true' };

/** USER_HZ: the unit of /proc/<pid>/stat times on Linux. */
const CLOCK_TICKS_PER_S = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round1 = (n: number) => Math.round(n * 10) / 10;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function main(): Promise<void> {
  const opt = options(process.argv.slice(2));
  const log = (s: string) => console.log(s);
  const services = await ensureServices(process.env, log);
  const dbUrl = new URL(services.databaseUrl);
  dbUrl.pathname = `/${BENCH_DB}`;
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: dbUrl.toString(),
    REDIS_URL: services.redisUrl,
    REDIS_KEY_PREFIX: PREFIX,
    HOST: '127.0.0.1',
    PORT: String(port),
    JWT_SECRET: randomBytes(32).toString('hex'),
    ID_HASH_SALT: randomBytes(32).toString('hex'),
    VOUCHER_CODE_KEYS: `b1:${randomBytes(32).toString('hex')}`,
    ...CHILD_ENV_RAISED,
    ...(opt.logLevel ? { LOG_LEVEL: opt.logLevel } : {}),
  };
  delete env.CLAIM_RATE_PER_CITIZEN;
  const config = loadConfig(env);

  log(`bench:claim  quota Q=${opt.quota}  claims N=${opt.claims}  connections C=${opt.connections}`);
  log(
    `  naive: quota ${opt.naiveQuota}, ${opt.naiveClaims} claims; hello: ${opt.helloSeconds} s; raw Lua: ${opt.luaCalls} calls`,
  );
  log(
    `  production configuration except: CLAIM_RATE_PER_IP raised to ${CHILD_ENV_RAISED.CLAIM_RATE_PER_IP} (all requests come from 127.0.0.1),`,
  );
  log(
    `  CLAIM_BENCH_ROUTES=true (mounts the naive baseline route)${opt.logLevel ? `, LOG_LEVEL=${opt.logLevel}` : ''}`,
  );
  log(`  database ${BENCH_DB} (recreated), Redis ${services.redisUrl} keys ${PREFIX}* (removed afterwards)`);

  // Fresh database and Redis keys -------------------------------------------------------------
  const admin = new URL(dbUrl.toString());
  admin.pathname = '/postgres';
  await ensureDatabase(admin.toString());
  {
    const { Client } = await import('pg');
    const c = new Client({ connectionString: admin.toString() });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
    await c.end();
  }
  await migrate(config);
  const redis = new Redis(redisOptions(services.redisUrl, { enableAutoPipelining: true }));
  await deleteKeys(redis, PREFIX);

  const ds = createDataSource(config, 'jinli-bench');
  await ds.initialize();
  let api: ChildProcess | undefined;
  try {
    const seeded = await seed(ds, opt);
    const tokens = mintTokens(config, seeded.citizenIds);
    log(
      `seeded: batch ${seeded.batchId} (quota ${opt.quota}), naive batch ${seeded.naiveBatchId}, ${seeded.citizenIds.length} citizens with tokens`,
    );

    // (a) raw Redis ceiling: the same reserve script straight from Node, one claim per call --
    const luaPerS = await rawLua(redis, opt);
    log(
      `raw Lua reserve: ${Math.round(luaPerS)} calls/s (${opt.luaCalls} calls of one claim each, ${opt.connections} in flight)`,
    );

    // Start the production build --------------------------------------------------------------
    mkdirSync(DATA_DIR, { recursive: true });
    const logFile = join(DATA_DIR, 'bench-claim-api.log');
    const nodeFlags = opt.apiNodeOptions ? opt.apiNodeOptions.split(' ') : [];
    // Logs straight to a file: a pipe drained by this (busy) process would throttle the API.
    const logFd = openSync(logFile, 'w');
    api = spawn(process.execPath, [...nodeFlags, join(__dirname, '..', 'apps', 'api', 'src', 'main.js')], {
      env,
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    const base = `http://127.0.0.1:${port}`;
    await waitForHealth(base, api);
    log(`API (production build) up on ${base}, log in ${logFile}`);

    // Warm-up (JIT) on the hello route.
    await autocannon({ url: `${base}/api/v1/claiming/hello`, connections: opt.connections, duration: 1 });
    // The round opens while the claimants are already pressing (see the header comment).
    const opensAtMs = Date.now() + opt.opensInMs;
    if (opt.opensInMs > 0) {
      await ds.query(`UPDATE claim_round SET opens_at = $1 WHERE batch_id = $2`, [
        new Date(opensAtMs),
        seeded.batchId,
      ]);
    }
    // Citizens open the page before the round: the catalogue loads the batch's counters.
    await fetch(`${base}/api/v1/claiming/campaigns`);
    // Reading the metrics resets the event-loop delay histogram: what writerStats reads is the burst's.
    await (await fetch(`${base}/metrics`)).text();

    // The burst --------------------------------------------------------------------------------
    const burst = await claimRun(
      base,
      `/api/v1/claiming/batches/${seeded.batchId}/claim`,
      tokens.slice(0, opt.claims),
      opt.connections,
      { apiPid: api.pid, timelineFile: opt.timeline, opensAtMs },
    );
    const acceptedPerS = burst.accepted / Math.max((burst.lastAcceptedAt - burst.opensAt) / 1000, 1e-3);
    const totalS = (burst.endedAt - burst.opensAt) / 1000;
    const soldOutTail =
      burst.soldOutAfterLastAccept / Math.max((burst.endedAt - burst.lastAcceptedAt) / 1000, 1e-3);
    if (opt.opensInMs > 0) {
      log(
        `before the opening (${opt.opensInMs} ms): ${burst.preOpen.answers} answers ${JSON.stringify(burst.preOpen.byStatus)}, p99 ${burst.preOpen.p99} ms (new connections, round not open yet)`,
      );
    }
    log(
      `burst: ${burst.accepted} accepted in ${round1((burst.lastAcceptedAt - burst.opensAt) / 1000)} s = ${Math.round(acceptedPerS)} claims/s; ` +
        `${burst.total} requests in ${round1(totalS)} s = ${Math.round(burst.total / totalS)} req/s; p50 ${burst.p50} ms, p99 ${burst.p99} ms`,
    );
    log(
      `  latency: accepted claims alone p50 ${burst.acceptedP50} ms, p99 ${burst.acceptedP99} ms; ` +
        `answers in the first second after the opening p99 ${burst.firstSecondP99} ms, after it p99 ${burst.afterFirstSecondP99} ms`,
    );
    log(
      `  answers: ${JSON.stringify(burst.byStatus)}; sold-out answers after the sell-out: ${Math.round(soldOutTail)} /s`,
    );
    log(`  writer: ${await writerStats(base)}`);
    const cpuPerClaim = burst.apiCpuMsPerAccepted === null ? null : round2(burst.apiCpuMsPerAccepted);
    log(`  API process CPU until the sell-out: ${cpuPerClaim ?? 'unknown'} ms per accepted claim`);

    // (b) hello against sold-out answers in steady state: same process, same client work (a bearer
    // token set per request), same duration; alternated twice and the best of each kept, since a
    // busy neighbour on the machine only ever lowers a figure.
    const steady = async (path: string, method: 'GET' | 'POST') => {
      const r = await claimRun(base, path, tokens.slice(0, opt.claims), opt.connections, {
        durationS: opt.helloSeconds,
        method,
      });
      return {
        perS: r.total / ((r.endedAt - r.startedAt) / 1000),
        p50: r.p50,
        p99: r.p99,
        byStatus: r.byStatus,
      };
    };
    type Steady = Awaited<ReturnType<typeof steady>>;
    const hellos: Steady[] = [];
    const soldOuts: Steady[] = [];
    for (let i = 0; i < 2; i++) {
      hellos.push(await steady('/api/v1/claiming/hello', 'GET'));
      soldOuts.push(await steady(`/api/v1/claiming/batches/${seeded.batchId}/claim`, 'POST'));
    }
    const best = (runs: Steady[]) => runs.reduce((a, b) => (b.perS > a.perS ? b : a));
    const hello = best(hellos);
    const soldOut = best(soldOuts);
    const helloPerS = hello.perS;
    const soldOutPerS = soldOut.perS;
    log(
      `hello: ${hellos.map((h) => Math.round(h.perS)).join(' / ')} req/s (best: p50 ${hello.p50} ms, p99 ${hello.p99} ms)`,
    );
    log(
      `sold-out answers: ${soldOuts.map((h) => Math.round(h.perS)).join(' / ')} req/s (best: p50 ${soldOut.p50} ms, p99 ${soldOut.p99} ms; ${JSON.stringify(soldOut.byStatus)})`,
    );

    // (c) the naive claim -------------------------------------------------------------------------
    await sleep(500);
    const naive = await claimRun(
      base,
      `/api/v1/claiming/bench/batches/${seeded.naiveBatchId}/naive-claim`,
      tokens.slice(opt.claims, opt.claims + opt.naiveClaims),
      opt.connections,
    );
    const naivePerS = naive.accepted / Math.max((naive.lastAcceptedAt - naive.startedAt) / 1000, 1e-3);
    log(
      `naive (one transaction per claim): ${naive.accepted} accepted = ${Math.round(naivePerS)} claims/s; p50 ${naive.p50} ms, p99 ${naive.p99} ms; answers ${JSON.stringify(naive.byStatus)}`,
    );

    // Verification in PostgreSQL ------------------------------------------------------------------
    await sleep(300);
    const [v] = (await ds.query(
      `SELECT count(*)::int AS vouchers,
              (SELECT count(*)::int FROM (SELECT citizen_id FROM voucher WHERE batch_id = $1
                 GROUP BY citizen_id HAVING count(*) > 1) x) AS breaches,
              (SELECT issued_count FROM voucher_batch WHERE id = $1) AS issued_count
         FROM voucher WHERE batch_id = $1`,
      [seeded.batchId],
    )) as { vouchers: number; breaches: number; issued_count: number }[];
    const [nv] = (await ds.query(`SELECT count(*)::int AS n FROM voucher WHERE batch_id = $1`, [
      seeded.naiveBatchId,
    ])) as { n: number }[];
    const audit = await runAudit({ dataSource: ds, redis, keyPrefix: PREFIX });
    const oversold = Math.max(v.vouchers - opt.quota, 0);
    // Demand: every claim sent from the opening on, and early presses that were answered after it.
    const demand = burst.total + (burst.preOpen.byStatus['201'] ?? 0);
    const undersold = Math.max(Math.min(opt.quota, demand) - v.vouchers, 0);
    if (demand < opt.quota) {
      log(
        `INVALID RUN: only ${demand} claims came after the opening for a quota of ${opt.quota} (the early presses used the rest); raise --claims or lower --opens-in-ms`,
      );
    }
    log(
      `PostgreSQL: ${v.vouchers} vouchers (issued_count ${v.issued_count}), ${burst.accepted} acknowledged, oversold ${oversold}, undersold ${undersold}, ` +
        `citizens over their limit ${v.breaches}; naive batch ${nv.n} vouchers; audit ${audit.ok ? 'ok' : `FAILED: ${audit.violations.map((x) => x.message).join('; ')}`}`,
    );

    const result = {
      accepted_per_s: Math.round(acceptedPerS),
      requests_per_s: Math.round(burst.total / totalS),
      p50_ms: burst.p50,
      p99_ms: burst.p99,
      accepted_p50_ms: burst.acceptedP50,
      accepted_p99_ms: burst.acceptedP99,
      p99_first_s_ms: burst.firstSecondP99,
      p99_after_first_s_ms: burst.afterFirstSecondP99,
      quota: opt.quota,
      claims: opt.claims,
      connections: opt.connections,
      opens_in_ms: opt.opensInMs,
      preopen_answers: burst.preOpen.answers,
      preopen_p99_ms: burst.preOpen.p99,
      accepted: burst.accepted,
      vouchers_in_db: v.vouchers,
      acknowledged_not_in_db: Math.max(burst.accepted - v.vouchers, 0),
      oversold,
      undersold,
      limit_breaches: v.breaches,
      errors: burst.errors + serverErrors(burst.byStatus) + serverErrors(burst.preOpen.byStatus),
      soldout_per_s: Math.round(soldOutPerS),
      soldout_tail_per_s: Math.round(soldOutTail),
      redis_lua_per_s: Math.round(luaPerS),
      hello_per_s: Math.round(helloPerS),
      naive_accepted_per_s: Math.round(naivePerS),
      ratio_vs_redis: round2(acceptedPerS / luaPerS),
      ratio_vs_naive: round2(acceptedPerS / naivePerS),
      soldout_vs_hello: round2(soldOutPerS / helloPerS),
      audit_ok: audit.ok,
      api_cpu_ms_per_accepted: cpuPerClaim,
    };
    log(
      `ratios: accepted/raw Lua ${result.ratio_vs_redis}, accepted/naive ${result.ratio_vs_naive}, sold-out/hello ${result.soldout_vs_hello}`,
    );
    console.log(JSON.stringify(result));
    process.exitCode =
      oversold || undersold || v.breaches || result.acknowledged_not_in_db || demand < opt.quota ? 1 : 0;
  } finally {
    if (api && api.exitCode === null) {
      api.kill('SIGTERM');
      await new Promise((r) => api!.once('exit', r));
    }
    await ds.destroy();
    await deleteKeys(redis, PREFIX);
    redis.disconnect();
    await services.stop();
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Answers with a 5xx status. */
const serverErrors = (byStatus: Record<string, number>) =>
  Object.entries(byStatus).reduce((n, [status, count]) => (Number(status) >= 500 ? n + count : n), 0);

/** The claim writer's own figures, from the API's Prometheus metrics. */
async function writerStats(base: string): Promise<string> {
  const text = await (await fetch(`${base}/metrics`)).text();
  writeFileSync(join(DATA_DIR, 'bench-claim-metrics.txt'), text);
  const value = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
  const inserts = value('jinli_claim_insert_rows_count');
  const rows = value('jinli_claim_insert_rows_sum');
  const insertMs = (value('jinli_claim_insert_seconds_sum') / inserts) * 1000;
  const queueMs = (value('jinli_claim_queue_seconds_sum') / value('jinli_claim_queue_seconds_count')) * 1000;
  const mean = (h: string) => round1((value(`${h}_sum`) / value(`${h}_count`)) * 1000);
  return (
    `${inserts} inserts, ${round1(rows / inserts)} rows each, ${round1(insertMs)} ms per insert, ${round1(queueMs)} ms queued before it; ` +
    `gate call ${mean('jinli_claim_reserve_seconds')} ms, accepted claim ${mean('jinli_claim_accepted_seconds')} ms (means); ` +
    `event-loop delay mean ${round1(value('nodejs_eventloop_lag_mean_seconds') * 1000)} ms, p99 ${round1(value('nodejs_eventloop_lag_p99_seconds') * 1000)} ms`
  );
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}

async function seed(ds: ReturnType<typeof createDataSource>, opt: Options) {
  const now = Date.now();
  return ds.transaction(async (m) => {
    const [funder] = await m.query(
      `INSERT INTO funder (name, kind, budget_fen, status) VALUES ('bench funder', 'city', 100000000000, 'published') RETURNING id`,
    );
    const [campaign] = await m.query(
      `INSERT INTO campaign (name, starts_at, ends_at, budget_fen, status) VALUES ('bench campaign', $1, $2, 100000000000, 'published') RETURNING id`,
      [new Date(now - 86_400_000), new Date(now + 30 * 86_400_000)],
    );
    await m.query(`INSERT INTO campaign_funder (campaign_id, funder_id, share_bp) VALUES ($1, $2, 10000)`, [
      campaign.id,
      funder.id,
    ]);
    // The naive baseline writes past the gate: its batch sits in a campaign the catalogue does not
    // list, so the gate never loads it (and the audit does not compare it with Redis).
    const [hidden] = await m.query(
      `INSERT INTO campaign (name, starts_at, ends_at, budget_fen, status) VALUES ('bench naive campaign', $1, $2, 100000000000, 'draft') RETURNING id`,
      [new Date(now - 86_400_000), new Date(now + 30 * 86_400_000)],
    );
    const batch = async (name: string, quota: number, campaignId = campaign.id) => {
      const [b] = await m.query(
        `INSERT INTO voucher_batch (campaign_id, name, face_value_fen, threshold_fen, validity_kind, valid_days, quota, status, published_at)
         VALUES ($1, $2, 3000, 10000, 'relative', 7, $3, 'published', now()) RETURNING id`,
        [campaignId, name, quota],
      );
      await m.query(`INSERT INTO claim_round (batch_id, seq, opens_at, quota) VALUES ($1, 1, $2, $3)`, [
        b.id,
        new Date(now - 60_000),
        quota,
      ]);
      return b.id as number;
    };
    const batchId = await batch('bench 满100减30', opt.quota);
    const naiveBatchId = await batch('bench naive', opt.naiveQuota, hidden.id);
    const n = opt.claims + opt.naiveClaims;
    const rows = (await m.query(
      `INSERT INTO citizen (phone) SELECT '13' || lpad(g::text, 9, '0') FROM generate_series(1, $1) g RETURNING id`,
      [n],
    )) as { id: number }[];
    return { batchId, naiveBatchId, citizenIds: rows.map((r) => r.id) };
  });
}

function mintTokens(config: ReturnType<typeof loadConfig>, ids: number[]): string[] {
  const tokens = new TokenService(config);
  const now = Date.now();
  return ids.map((id) => tokens.issue({ id, role: Role.Citizen }, now).accessToken);
}

/**
 * The reserve script called from Node with `connections` calls in flight, one claim per call, on a
 * scratch batch. (The API sends the claims of one event-loop turn in one call, so its accepted
 * claims per second are not bounded by this rate.)
 */
async function rawLua(redis: Redis, opt: Options): Promise<number> {
  const client = defineGateCommands(redis);
  const batchId = 999_999_001;
  const keys = claimKeys(PREFIX, batchId);
  const now = Date.now();
  await redis.hset(
    keys.meta,
    fullMeta(
      {
        batchId,
        createdAt: new Date(now),
        status: 'published',
        campaignStatus: 'published',
        campaignEndsAt: new Date(now + 86_400_000),
        perCitizenLimit: 1,
        rollOverUnclaimed: true,
        quota: opt.luaCalls,
        returnedCount: 0,
        issuedCount: 0,
        validityKind: 'relative',
        validUntil: null,
        rounds: [
          {
            id: 1,
            seq: 1,
            opensAt: new Date(now - 60_000),
            closesAt: null,
            quota: opt.luaCalls,
            carriedIn: 0,
            carriedOut: 0,
            issuedCount: 0,
          },
        ],
      },
      new Map(),
      new Date(now).toISOString(),
    ),
  );
  const limits = { windowMs: 10_000, perCitizen: 20, perIp: 1_000_000_000 };
  let next = 0;
  let reserved = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: opt.connections }, async () => {
      while (next < opt.luaCalls) {
        const citizenId = ++next;
        const r = parseReserve(
          await reserveCall(client, keys, randomUUID(), citizenId, '127.0.0.1', Date.now(), limits),
        );
        if (r.kind === 'reserved') reserved += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (reserved !== opt.luaCalls) throw new Error(`raw Lua run reserved ${reserved} of ${opt.luaCalls}`);
  return opt.luaCalls / seconds;
}

async function waitForHealth(base: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null)
      throw new Error(`the API exited with ${child.exitCode}; see .data/bench-claim-api.log`);
    try {
      const res = await fetch(`${base}/health`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error('the API did not become healthy within 30 s');
}

/** User + system CPU time of a process so far, in ms (Linux /proc), or null. */
function cpuMs(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}

interface RunOptions {
  /** Run for this long (tokens in turn) instead of one request per token. */
  durationS?: number;
  method?: 'GET' | 'POST';
  /** The API's pid: its CPU time is sampled. */
  apiPid?: number;
  /** Where to write [ms since start, latency ms, status] of every answer (JSON). */
  timelineFile?: string;
  /**
   * When the round opens (epoch ms). Answers to requests sent before it are counted apart; the
   * latency, rate and CPU figures are those of the requests sent from the opening on.
   */
  opensAtMs?: number;
}

/**
 * One request per token over `connections` connections (or, with `durationS`, as many as fit in
 * that time, tokens in turn); records when each claim was accepted.
 */
async function claimRun(
  base: string,
  path: string,
  tokens: string[],
  connections: number,
  o: RunOptions = {},
) {
  const method = o.method ?? 'POST';
  let i = 0;
  const byStatus: Record<string, number> = {};
  const preOpenByStatus: Record<string, number> = {};
  let accepted = 0;
  let lastAcceptedAt = 0;
  let soldOutTotal = 0;
  let soldOutAtLastAccept = 0;
  let requestsAfterOpening = 0;
  // The API's CPU time, read every 100 ms with the number of claims accepted by then.
  const cpuSamples: { at: number; ms: number; accepted: number }[] = [];
  const sample = () => {
    const ms = cpuMs(o.apiPid);
    if (ms !== null) cpuSamples.push({ at: performance.now(), ms, accepted });
  };
  sample();
  const sampler = setInterval(sample, 100);
  // Without a callback autocannon returns its event emitter, which is also a promise of the result.
  const instance = autocannon({
    url: base,
    connections: Math.min(connections, tokens.length),
    ...(o.durationS ? { duration: o.durationS } : { amount: tokens.length }),
    timeout: 30,
    requests: [
      {
        method,
        path,
        setupRequest: (req) => {
          req.headers = { ...req.headers, authorization: `Bearer ${tokens[i++ % tokens.length]}` };
          return req;
        },
      },
    ],
  }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
  const startedAt = performance.now();
  // Without an opening every answer counts (the first requests leave while autocannon is built).
  const opensAt = o.opensAtMs === undefined ? -Infinity : startedAt + (o.opensAtMs - Date.now());
  const allMs: number[] = [];
  const acceptedMs: number[] = [];
  const preOpenMs: number[] = [];
  // Latencies of answers received in the first second after the opening (a cold claim path, the
  // first wave of simultaneous claims) and after it.
  const firstSecondMs: number[] = [];
  const afterMs: number[] = [];
  const timeline: number[][] = [];
  instance.on('response', (_client, status, _bytes, responseTime) => {
    const now = performance.now();
    if (o.timelineFile)
      timeline.push([Math.round(now - startedAt), Math.round(responseTime * 10) / 10, status]);
    if (status === 201) {
      accepted += 1;
      lastAcceptedAt = now;
      soldOutAtLastAccept = soldOutTotal;
    } else if (status === 409 || status === 410) {
      soldOutTotal += 1;
    }
    if (now - responseTime < opensAt) {
      preOpenByStatus[status] = (preOpenByStatus[status] ?? 0) + 1;
      preOpenMs.push(responseTime);
      return;
    }
    requestsAfterOpening += 1;
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    allMs.push(responseTime);
    if (status === 201) acceptedMs.push(responseTime);
    (now - opensAt < 1000 ? firstSecondMs : afterMs).push(responseTime);
  });
  const result = await instance;
  const endedAt = performance.now();
  clearInterval(sampler);
  if (o.timelineFile) writeFileSync(o.timelineFile, JSON.stringify(timeline));
  for (const ms of [allMs, acceptedMs, preOpenMs, firstSecondMs, afterMs]) ms.sort((a, b) => a - b);
  // CPU from the last sample before the opening to the last one before the sell-out.
  const base0 = cpuSamples.filter((x) => x.at <= opensAt).pop() ?? cpuSamples[0];
  const lastBeforeSellOut = base0
    ? cpuSamples.filter((x) => x.at <= lastAcceptedAt && x.accepted > base0.accepted).pop()
    : undefined;
  const apiCpuMsPerAccepted =
    base0 && lastBeforeSellOut
      ? (lastBeforeSellOut.ms - base0.ms) / (lastBeforeSellOut.accepted - base0.accepted)
      : null;
  const ms = (list: number[], p: number) => Math.round(percentile(list, p));
  return {
    /** Requests sent from the opening on. */
    total: requestsAfterOpening,
    accepted,
    byStatus,
    preOpen: { answers: preOpenMs.length, byStatus: preOpenByStatus, p99: ms(preOpenMs, 99) },
    errors: result.errors + result.timeouts,
    startedAt,
    opensAt,
    lastAcceptedAt: lastAcceptedAt || endedAt,
    endedAt,
    soldOutAfterLastAccept: soldOutTotal - soldOutAtLastAccept,
    p50: ms(allMs, 50),
    p99: ms(allMs, 99),
    /** Latency of the 201 answers alone (ms). */
    acceptedP50: ms(acceptedMs, 50),
    acceptedP99: ms(acceptedMs, 99),
    /** p99 of the answers received in the first second after the opening, and of those after it (ms). */
    firstSecondP99: ms(firstSecondMs, 99),
    afterFirstSecondP99: ms(afterMs, 99),
    /** CPU time of the API process per accepted claim until the sell-out (ms), when it could be read. */
    apiCpuMsPerAccepted,
  };
}

main().catch((e: unknown) => {
  console.error((e as Error).stack ?? e);
  process.exit(1);
});
