import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { Role } from '@jinli/contracts';
import { loadConfig, TokenService } from '@jinli/platform';
import { VoucherCodec } from '@jinli/redemption';
import { ensureDatabase, migrate } from '../db/migrate';
import { DATA_DIR, ensureServices } from './lib/services';
import { percentile } from './lib/stats';

/**
 * `npm run bench:redeem`: the production build of the API in a child process, on its own database
 * (jinli_bench_redemption), then, over distinct vouchers and one keep-alive connection per till:
 *  1. paced: T tills each scanning R times a second (a busy till scans every 20-60 s; R = 1 is far
 *     busier than any real queue): p50/p99 latency at that load;
 *  2. saturated: the same T tills scanning back to back: the most redemptions per second (latency
 *     there is T / throughput by Little's law, whatever the design);
 *  3. S concurrent scans of one voucher: exactly one may succeed.
 * Options: --tills 100 --rate 1 --paced 2000 --redeems 3000 --same 50 --warmup 300 --log-level info
 * --pool 20 --db jinli_bench_redemption (the database, recreated; also the Redis key prefix). The last
 * line is one JSON object.
 */
const DIST = join(__dirname, '..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const DB_NAME = arg('db', 'jinli_bench_redemption');
if (!/^[a-z_][a-z0-9_]{0,62}$/.test(DB_NAME))
  throw new Error(`--db must be a plain database name, got ${DB_NAME}`);
const TILLS = Number(arg('tills', '100'));
const REDEEMS = Number(arg('redeems', '3000'));
const RATE = Number(arg('rate', '1'));
const PACED = Number(arg('paced', '2000'));
const SAME = Number(arg('same', '50'));
const WARMUP = Number(arg('warmup', '300'));
const LOG_LEVEL = arg('log-level', 'info');
const POOL = arg('pool', '20');
/** API processes (as behind a load balancer); tills are spread over them. */
const PROCESSES = Math.max(1, Number(arg('api-processes', '1')));
/** Extra node flags for the API process, e.g. --api-node-args=--cpu-prof (profiling). */
const API_NODE_ARGS = arg('api-node-args', '').split(' ').filter(Boolean);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

async function seed(url: string, vouchers: number, tills: number, now: Date) {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    await db.query('BEGIN');
    const funders = await db.query<{ id: number }>(
      `INSERT INTO funder (name, kind, budget_fen, status) VALUES ('苏州市', 'city', 100000000000, 'published'),
         ('姑苏区', 'district', 100000000000, 'published') RETURNING id`,
    );
    const [campaign] = (
      await db.query<{ id: number }>(
        `INSERT INTO campaign (name, starts_at, ends_at, budget_fen, status) VALUES ('bench', $1, $2, 100000000000, 'draft') RETURNING id`,
        [new Date(now.getTime() - 86400_000), new Date(now.getTime() + 30 * 86400_000)],
      )
    ).rows;
    await db.query(
      `INSERT INTO campaign_funder (campaign_id, funder_id, share_bp) VALUES ($1, $2, 7000), ($1, $3, 3000)`,
      [campaign.id, funders.rows[0].id, funders.rows[1].id],
    );
    await db.query(`UPDATE campaign SET status = 'published' WHERE id = $1`, [campaign.id]);
    const [batch] = (
      await db.query<{ id: number }>(
        `INSERT INTO voucher_batch (campaign_id, name, face_value_fen, threshold_fen, validity_kind, valid_days, quota, status, published_at)
         VALUES ($1, '满100减30', 3000, 10000, 'relative', 30, $2, 'published', $3) RETURNING id`,
        [campaign.id, vouchers, now],
      )
    ).rows;
    const [roundRow] = (
      await db.query<{ id: number }>(
        `INSERT INTO claim_round (batch_id, seq, opens_at, quota) VALUES ($1, 1, $2, $3) RETURNING id`,
        [batch.id, new Date(now.getTime() - 3600_000), vouchers],
      )
    ).rows;
    const [merchant] = (
      await db.query<{ id: number }>(
        `INSERT INTO merchant (name, category, district, status, contact_name, contact_phone, bank_account_name, bank_name, bank_account_no)
         VALUES ('松鹤楼', 'catering', 'gusu', 'approved', '测试', '13800000000', '松鹤楼餐饮有限公司', '测试银行', '6222021234567890123')
         RETURNING id`,
      )
    ).rows;
    const stores = await db.query<{ id: number }>(
      `INSERT INTO store (merchant_id, name, district) SELECT $1, '门店' || i, 'gusu' FROM generate_series(1, $2) i RETURNING id`,
      [merchant.id, tills],
    );
    const cashiers = await db.query<{ id: number; store_id: number }>(
      `INSERT INTO staff_account (username, password_hash, role, display_name, merchant_id, store_id)
       SELECT 'bench-cashier-' || s.id, 'x', 'cashier', '收银员', $1, s.id FROM unnest($2::int[]) AS s(id)
       RETURNING id, store_id`,
      [merchant.id, stores.rows.map((s) => s.id)],
    );
    await db.query(
      `INSERT INTO citizen (phone) SELECT '139' || lpad(i::text, 8, '0') FROM generate_series(1, $1) i`,
      [vouchers],
    );
    const rows = await db.query<{ id: number }>(
      `INSERT INTO voucher (batch_id, round_id, citizen_id, slot, claimed_at, valid_from, valid_until)
       SELECT $1, $2, c.id, 1, $3, $4, $5 FROM citizen c ORDER BY c.id RETURNING id`,
      [
        batch.id,
        roundRow.id,
        now,
        new Date(now.getTime() - 3600_000),
        new Date(now.getTime() + 29 * 86400_000),
      ],
    );
    await db.query('COMMIT');
    await db.query('ANALYZE');
    return {
      voucherIds: rows.rows.map((r) => r.id).sort((a, b) => a - b),
      cashiers: cashiers.rows,
      merchantId: merchant.id,
    };
  } finally {
    await db.end();
  }
}

async function waitUp(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode}; see its log`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health/live`);
      if (res.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the API did not come up in 30 s');
}

async function main(): Promise<void> {
  const apiMain = join(DIST, 'apps', 'api', 'src', 'main.js');
  if (!existsSync(apiMain)) throw new Error(`${apiMain} is missing: run npm run build:server`);
  const services = await ensureServices(process.env);
  const dbUrl = new URL(services.databaseUrl);
  dbUrl.pathname = `/${DB_NAME}`;
  const admin = new URL(services.databaseUrl);
  admin.pathname = '/postgres';
  const ports: number[] = [];
  for (let i = 0; i < PROCESSES; i++) ports.push(await freePort());
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: dbUrl.toString(),
    DATABASE_POOL_SIZE: POOL,
    REDIS_URL: services.redisUrl,
    // Own key prefix: nothing else's Redis keys are touched, nothing is flushed.
    REDIS_KEY_PREFIX: `${DB_NAME}:`,
    HOST: '127.0.0.1',
    PORT: String(ports[0]),
    LOG_LEVEL,
    JWT_SECRET: randomBytes(32).toString('hex'),
    ID_HASH_SALT: randomBytes(32).toString('hex'),
    VOUCHER_CODE_KEYS: `b1:${randomBytes(32).toString('hex')}`,
    DEPLOYMENT_TAG: 'bench',
    OPENAPI_ENABLED: 'false',
  };
  const config = loadConfig(env);

  const total = REDEEMS + PACED + WARMUP + 1;
  console.log(
    `database ${DB_NAME}: recreating, migrating, seeding ${total} vouchers and ${TILLS} stores/cashiers`,
  );
  const adminDb = new Client({ connectionString: admin.toString() });
  await adminDb.connect();
  await adminDb.query(`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`);
  await adminDb.end();
  await ensureDatabase(config.database.url);
  await migrate(config);
  const now = new Date();
  const { voucherIds, cashiers, merchantId } = await seed(config.database.url, total, TILLS, now);

  const tokens = new TokenService(config);
  const tills = cashiers.map((c, i) => ({
    port: ports[i % PROCESSES],
    storeId: c.store_id,
    token: tokens.issue({ id: c.id, role: Role.Cashier, merchantId, storeId: c.store_id }, Date.now())
      .accessToken,
  }));
  const db = new Client({ connectionString: config.database.url });
  await db.connect();
  const codec = new VoucherCodec(config.voucherCodes.keys, config.voucherCodes.deploymentTag);
  const codeOf = (voucherId: number) => codec.render(voucherId, VoucherCodec.stepAt(Date.now())).digits!;

  mkdirSync(join(DATA_DIR, 'logs'), { recursive: true });
  const logPath = join(DATA_DIR, 'logs', 'bench-redeem-api.log');
  // Logs straight to a file (as bench-claim does): a pipe drained by this process, which is also the
  // load client, would put every access-log line of the API through the client's event loop.
  const logFd = openSync(logPath, 'w');
  const children: ChildProcess[] = ports.map((port) =>
    spawn(process.execPath, [...API_NODE_ARGS, apiMain], {
      env: { ...env, PORT: String(port) },
      stdio: ['ignore', logFd, logFd],
    }),
  );
  closeSync(logFd);
  let result: Record<string, unknown> = {};
  try {
    await Promise.all(children.map((child, i) => waitUp(ports[i], child)));
    console.log(
      `API (production build): ${PROCESSES} process(es) (pid ${children.map((c) => c.pid).join(', ')}), LOG_LEVEL=${LOG_LEVEL}, pool ${POOL} each; log: ${logPath}`,
    );

    let next = 0;
    // Closed loop: `connections` tills (spread over the processes) scanning back to back.
    const run = async (amount: number, connections: number) => {
      const statuses = new Map<number, number>();
      const latencies: number[] = [];
      const started = performance.now();
      await Promise.all(
        ports.map((port) => {
          const group = tills.filter((t) => t.port === port).slice(0, Math.ceil(connections / PROCESSES));
          let turn = 0;
          return runOne(
            port,
            group,
            Math.round(amount / PROCESSES),
            statuses,
            latencies,
            () => group[turn++ % group.length],
          );
        }),
      );
      return { statuses, latencies, seconds: (performance.now() - started) / 1000 };
    };
    function runOne(
      port: number,
      group: typeof tills,
      amount: number,
      statuses: Map<number, number>,
      latencies: number[],
      pick: () => (typeof tills)[number],
    ) {
      return new Promise<void>((resolve, reject) => {
        const instance = autocannon(
          {
            url: `http://127.0.0.1:${port}`,
            connections: group.length,
            amount,
            timeout: 30,
            requests: [
              {
                method: 'POST',
                path: '/api/v1/redemptions',
                setupRequest: (req: any) => {
                  const i = next++;
                  const till = pick();
                  return {
                    ...req,
                    headers: {
                      'content-type': 'application/json',
                      authorization: `Bearer ${till.token}`,
                      'idempotency-key': randomUUID(),
                    },
                    body: JSON.stringify({
                      code: codeOf(voucherIds[i]),
                      orderAmountFen: 12800,
                      storeId: till.storeId,
                    }),
                  };
                },
              },
            ],
          },
          (err: Error | null) => {
            if (err) reject(err);
            else resolve();
          },
        );
        instance.on(
          'response',
          (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
            statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
            latencies.push(responseTime);
          },
        );
      });
    }

    if (WARMUP > 0) {
      await run(WARMUP, Math.min(TILLS, 20));
      console.log(`warm-up: ${WARMUP} redemptions`);
    }
    const summarize = (name: string, r: Awaited<ReturnType<typeof run>>, amount: number) => {
      const sorted = [...r.latencies].sort((a, b) => a - b);
      const ok = r.statuses.get(201) ?? 0;
      const out = {
        ok,
        perS: round(ok / r.seconds, 1),
        p50: round(percentile(sorted, 50)),
        p90: round(percentile(sorted, 90)),
        p99: round(percentile(sorted, 99)),
        max: round(sorted[sorted.length - 1] ?? 0),
      };
      console.log(
        `${name}: ${ok}/${amount} accepted in ${round(r.seconds)} s (${out.perS}/s); p50 ${out.p50} ms, p90 ${out.p90} ms, p99 ${out.p99} ms, max ${out.max} ms; statuses ${JSON.stringify(Object.fromEntries(r.statuses))}`,
      );
      return out;
    };
    // Paced tills: each till scans every 1/RATE s from a random phase (tills are not in step), waits
    // for its answer like a real till, and sends late if the last answer came late.
    const pacedRun = async (amount: number) => {
      const statuses = new Map<number, number>();
      const latencies: number[] = [];
      const started = performance.now();
      const interval = 1000 / RATE;
      const perTill = Math.ceil(amount / TILLS);
      let sent = 0;
      await Promise.all(
        tills.map(async (till) => {
          const agent = new Agent({ keepAlive: true, maxSockets: 1 });
          let due = performance.now() + Math.random() * interval;
          for (let k = 0; k < perTill && sent < amount; k++) {
            const wait = due - performance.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
            const i = next++;
            sent++;
            const body = JSON.stringify({
              code: codeOf(voucherIds[i]),
              orderAmountFen: 12800,
              storeId: till.storeId,
            });
            const t0 = performance.now();
            const status = await new Promise<number>((resolve, reject) => {
              const req = request(
                {
                  host: '127.0.0.1',
                  port: till.port,
                  path: '/api/v1/redemptions',
                  method: 'POST',
                  agent,
                  headers: {
                    'content-type': 'application/json',
                    'content-length': Buffer.byteLength(body),
                    authorization: `Bearer ${till.token}`,
                    'idempotency-key': randomUUID(),
                  },
                },
                (res) => {
                  res.resume();
                  res.on('end', () => resolve(res.statusCode ?? 0));
                },
              );
              req.on('error', reject);
              req.end(body);
            });
            latencies.push(performance.now() - t0);
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            due += interval;
          }
          agent.destroy();
        }),
      );
      return { statuses, latencies, seconds: (performance.now() - started) / 1000 };
    };
    const paced =
      PACED > 0 ? summarize(`paced, ${TILLS} tills x ${RATE}/s`, await pacedRun(PACED), PACED) : undefined;
    const saturated = summarize(`saturated, ${TILLS} tills back to back`, await run(REDEEMS, TILLS), REDEEMS);

    // S tills scan the same voucher at once.
    const target = voucherIds[voucherIds.length - 1];
    const code = codeOf(target);
    const sameStarted = performance.now();
    const scans = await Promise.all(
      Array.from({ length: SAME }, async (_, i) => {
        const till = tills[i % tills.length];
        const t0 = performance.now();
        const res = await fetch(`http://127.0.0.1:${till.port}/api/v1/redemptions`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${till.token}`,
            'idempotency-key': randomUUID(),
          },
          body: JSON.stringify({ code, orderAmountFen: 12800, storeId: till.storeId }),
        });
        const body = (await res.json()) as { code?: string };
        return { status: res.status, code: body.code, ms: performance.now() - t0 };
      }),
    );
    const sameMs = performance.now() - sameStarted;
    const sameOk = scans.filter((s) => s.status === 201).length;
    const refusals = [...new Set(scans.filter((s) => s.status !== 201).map((s) => `${s.status} ${s.code}`))];
    console.log(
      `${SAME} concurrent scans of one voucher: ${sameOk} succeeded; others: ${refusals.join(', ')}`,
    );

    const [check] = (
      await db.query<{ redemptions: number; redeemed: number; committed: string; parts: string }>(
        `SELECT (SELECT count(*)::int FROM redemption) AS redemptions,
                (SELECT count(*)::int FROM voucher WHERE status = 'redeemed') AS redeemed,
                (SELECT sum(committed_fen) FROM funder) AS committed,
                (SELECT sum(amount_fen) FROM redemption_part) AS parts`,
      )
    ).rows;
    const [{ live }] = (
      await db.query<{ live: number }>(`SELECT count(*)::int AS live FROM redemption WHERE voucher_id = $1`, [
        target,
      ])
    ).rows;
    const consistent =
      check.redemptions === check.redeemed &&
      Number(check.committed) === Number(check.parts) &&
      live === sameOk;
    console.log(
      `database: ${check.redemptions} redemptions, ${check.redeemed} redeemed vouchers, committed ${check.committed} fen = parts ${check.parts} fen: ${consistent ? 'consistent' : 'INCONSISTENT'}`,
    );
    result = {
      tills: TILLS,
      redeems_per_s: saturated.perS,
      p50_ms: paced?.p50 ?? saturated.p50,
      p99_ms: paced?.p99 ?? saturated.p99,
      paced_rate_per_till_s: PACED > 0 ? RATE : null,
      paced_redeems: PACED,
      paced_redeems_per_s: paced?.perS ?? null,
      paced_p90_ms: paced?.p90 ?? null,
      paced_max_ms: paced?.max ?? null,
      saturated_redeems: REDEEMS,
      saturated_p50_ms: saturated.p50,
      saturated_p99_ms: saturated.p99,
      errors: PACED + REDEEMS - (paced?.ok ?? 0) - saturated.ok,
      same_voucher_scans: SAME,
      same_voucher_successes: sameOk,
      same_voucher_ms: round(sameMs),
      db_consistent: consistent,
      log_level: LOG_LEVEL,
      pool: Number(POOL),
      api_processes: PROCESSES,
      cpus: cpus().length,
    };
  } finally {
    await db.end();
    for (const child of children) {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
    }
    await services.stop();
  }
  console.log(JSON.stringify(result));
  if (result.same_voucher_successes !== 1 || result.db_consistent !== true) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error((e as Error).stack ?? e);
  process.exit(1);
});
