import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { Role } from '@jinli/contracts';
import { JobQueue, loadConfig } from '@jinli/platform';
import { LeverageReportService, REPORT_GROUPS, ReportAggregatesService } from '@jinli/reporting';
import { SettlementRunService, settleChunkSql } from '@jinli/settlement';
import { WorkerModule } from '../apps/worker/src/worker.module';
import { migrate } from '../db/migrate';
import { ensureServices } from './lib/services';

/**
 * `npm run bench:settle`: settlement and report performance at scale.
 *
 *   npm run bench:settle                      # full defaults: 1e4, 1e5, 1e6 redemptions; report over 1e7
 *   npm run bench:settle -- --sizes 1e3,1e4 --report-n 1e5     # a quick run while developing
 *
 * In a database of its own (jinli_bench_settlement, recreated; BENCH_DB) and Redis keys under its own
 * prefix (jbench-settlement:, BENCH_REDIS_PREFIX; queues emptied first; nothing else is touched):
 * 1. for each size n: n redemptions (1% reversed before settlement, 5% partly refunded) across
 *    --merchants merchants on one business day, generated set-based with generate_series; then a
 *    settlement run through the real job machinery: the service creates the run and enqueues one
 *    chunk job per --chunk merchants, and the production worker (a child process, started fresh for
 *    each n) settles them. Times the run from start to completion and the worker's peak RSS;
 * 2. on the largest size, the same settlement as one plain INSERT ... SELECT ... GROUP BY over every
 *    merchant, no job machinery: the floor;
 * 3. --report-n redemptions over --report-days days, aggregates rebuilt from the base tables, then
 *    the leverage report for every grouping over the whole range: median of --report-reps calls.
 * Disk: the 1e7 report data set takes a few GB; `--skip-report` leaves it out; the database is
 * dropped at the end unless `--keep-db`. The last line of output is one JSON object.
 */

interface Options {
  sizes: number[];
  merchants: number;
  chunk: number;
  concurrency: number;
  reportN: number;
  reportDays: number;
  reportReps: number;
  skipReport: boolean;
  keepDb: boolean;
}

function options(argv: string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  };
  const num = (text: string, name: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer (got ${text})`);
    return n;
  };
  const int = (name: string, dflt: number) => {
    const v = get(name);
    return v === undefined ? dflt : num(v, name);
  };
  const sizes = (get('sizes') ?? '1e4,1e5,1e6').split(',').map((s) => num(s.trim(), 'sizes'));
  return {
    sizes: [...new Set(sizes)].sort((a, b) => a - b),
    merchants: int('merchants', 1000),
    chunk: int('chunk', 100),
    concurrency: int('concurrency', 2),
    reportN: int('report-n', 10_000_000),
    reportDays: int('report-days', 30),
    reportReps: int('report-reps', 5),
    skipReport: argv.includes('--skip-report') || process.env.BENCH_SKIP_REPORT === 'true',
    keepDb: argv.includes('--keep-db'),
  };
}

// Overridable so that two benchmarks on one machine keep apart (e.g. one per branch).
const BENCH_DB = process.env.BENCH_DB ?? 'jinli_bench_settlement';
const PREFIX = process.env.BENCH_REDIS_PREFIX ?? 'jbench-settlement:';
if (!/^[a-z_][a-z0-9_]{0,62}$/.test(BENCH_DB))
  throw new Error(`BENCH_DB must be a plain database name (got ${BENCH_DB})`);
const TZ = 'Asia/Shanghai';
const SETTLE_DAY = '2020-07-04';
const REPORT_DAY0 = '2020-07-04';
const QUEUES = ['settlement', 'outbox', 'reporting'];

const log = (line: string) => process.stderr.write(`${line}\n`);
const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drops the benchmark database (migrate() creates it again when `create`). */
async function recreateDatabase(url: string, create = true): Promise<void> {
  const admin = new Client({ connectionString: withDatabase(url, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`);
    if (!create) log(`database ${BENCH_DB} dropped (--keep-db keeps it)`);
  } finally {
    await admin.end();
  }
}

/** Merchants with one store each, staff, citizens, funders, two campaigns and three batches. */
async function setUpReference(
  db: Client,
  o: Options,
  citizens: number,
): Promise<{ financeId: number; cashierId: number }> {
  await db.query('BEGIN');
  await db.query(
    `INSERT INTO merchant (name, category, district, status, contact_name, contact_phone, bank_account_name,
       bank_name, bank_account_no, reviewed_at)
     SELECT '商户' || i, (ARRAY['catering','retail','auto','appliance','hotel','tourism','heritage'])[1 + i % 7],
            (ARRAY['gusu','wuzhong','xiangcheng','wujiang','sip','snd','zhangjiagang','changshu','taicang','kunshan'])[1 + i % 10],
            'approved', '联系人', '13800000000', '商户' || i || '有限公司', '苏州银行', '6222' || lpad(i::text, 15, '0'), now()
       FROM generate_series(1, $1) i`,
    [o.merchants],
  );
  await db.query(
    `INSERT INTO store (merchant_id, name, district) SELECT id, '门店', district FROM merchant ORDER BY id`,
  );
  await db.query(
    `CREATE TABLE bench_merchant AS
       SELECT (row_number() OVER (ORDER BY m.id) - 1)::int AS idx, m.id AS merchant_id, s.id AS store_id
         FROM merchant m JOIN store s ON s.merchant_id = m.id`,
  );
  await db.query(`CREATE UNIQUE INDEX ON bench_merchant (idx)`);
  const [cashier] = (
    await db.query(
      `INSERT INTO staff_account (username, password_hash, role, display_name, merchant_id, store_id)
       SELECT 'bench-cashier', 'x', 'cashier', '收银员', merchant_id, store_id FROM bench_merchant WHERE idx = 0
       RETURNING id`,
    )
  ).rows as { id: number }[];
  const [finance] = (
    await db.query(
      `INSERT INTO staff_account (username, password_hash, role, display_name) VALUES ('bench-finance', 'x', 'finance', '财务') RETURNING id`,
    )
  ).rows as { id: number }[];
  await db.query(
    `INSERT INTO citizen (phone) SELECT '139' || lpad(i::text, 8, '0') FROM generate_series(1, $1) i`,
    [citizens],
  );
  await db.query(
    `INSERT INTO funder (name, kind, district, budget_fen, status) VALUES
       ('苏州市', 'city', NULL, 10000000000000, 'published'),
       ('姑苏区', 'district', 'gusu', 10000000000000, 'published'),
       ('合作企业', 'company', NULL, 10000000000000, 'published')`,
  );
  await db.query(
    `INSERT INTO campaign (name, starts_at, ends_at, budget_fen, status) VALUES
       ('姑苏八点半', '2020-07-01T00:00:00+08:00', '2020-12-31T00:00:00+08:00', 1000000000000, 'draft'),
       ('暑期购物狂欢节', '2020-07-01T00:00:00+08:00', '2020-12-31T00:00:00+08:00', 1000000000000, 'draft')`,
  );
  await db.query(
    `INSERT INTO campaign_funder (campaign_id, funder_id, share_bp)
     SELECT c.id, f.id, s.bp FROM (VALUES ('姑苏八点半', '苏州市', 7000), ('姑苏八点半', '姑苏区', 3000),
       ('暑期购物狂欢节', '合作企业', 10000)) s(c, f, bp)
       JOIN campaign c ON c.name = s.c JOIN funder f ON f.name = s.f`,
  );
  await db.query(`UPDATE campaign SET status = 'published'`);
  await db.query(
    `INSERT INTO voucher_batch (campaign_id, name, face_value_fen, threshold_fen, validity_kind, valid_days, quota,
       per_citizen_limit, status, published_at)
     SELECT c.id, c.name || '券' || k, 3000, 10000, 'relative', 30, 20000000, 100, 'published', now()
       FROM campaign c CROSS JOIN generate_series(1, CASE WHEN c.name = '姑苏八点半' THEN 2 ELSE 1 END) k`,
  );
  await db.query(
    `INSERT INTO claim_round (batch_id, seq, opens_at, quota) SELECT id, 1, '2020-07-01T10:00:00+08:00', 20000000 FROM voucher_batch`,
  );
  await db.query(
    `CREATE TABLE bench_batch AS
       SELECT (row_number() OVER (ORDER BY b.id) - 1)::int AS idx, b.id AS batch_id, b.campaign_id, r.id AS round_id,
              b.face_value_fen AS face
         FROM voucher_batch b JOIN claim_round r ON r.batch_id = b.id`,
  );
  await db.query('COMMIT');
  return { financeId: finance.id, cashierId: cashier.id };
}

/**
 * TRUNCATE in the benchmark's own database. The money trail refuses TRUNCATE (tr_*_no_truncate):
 * the guards are switched off for this one transaction only.
 */
async function truncate(db: Client, sql: string): Promise<void> {
  const guards = (
    await db.query(
      `SELECT tgrelid::regclass::text AS "table", tgname AS name FROM pg_trigger
        WHERE NOT tgisinternal AND tgname LIKE 'tr\\_%\\_no\\_truncate'`,
    )
  ).rows as { table: string; name: string }[];
  await db.query('BEGIN');
  try {
    for (const g of guards) await db.query(`ALTER TABLE ${g.table} DISABLE TRIGGER ${g.name}`);
    await db.query(sql);
    for (const g of guards) await db.query(`ALTER TABLE ${g.table} ENABLE TRIGGER ${g.name}`);
    await db.query('COMMIT');
  } catch (e) {
    await db.query('ROLLBACK');
    throw e;
  }
}

/** Empties every table the volume lives in (reference data stays). */
async function resetVolume(db: Client): Promise<void> {
  await truncate(
    db,
    `TRUNCATE ledger_entry, ledger_journal, statement_line, settlement_statement, settlement_chunk, settlement_run,
       payout_failed_row, payout, reversal, refund, redemption_part, redemption, voucher, outbox_event,
       rpt_redemption_hourly, rpt_redemption_merchant_daily, rpt_funder_hourly, rpt_funder_merchant_daily,
       rpt_claim_hourly, rpt_refresh_state RESTART IDENTITY`,
  );
  await db.query(`UPDATE funder SET committed_fen = 0`);
}

/**
 * n claimed-and-redeemed vouchers over `days` days from `day0` (hours spread over the day), their
 * parts (70/30 or 100%), 1% reversed by a full refund (parts reversed, never settled), 5% partly
 * refunded and kept. Set-based, foreign-key triggers off (replica role) for loading speed.
 */
async function generate(
  db: Client,
  n: number,
  at: { day0: string; days: number },
  refs: { citizens: number; cashierId: number },
): Promise<void> {
  const { day0, days } = at;
  const { citizens, cashierId } = refs;
  const [{ m }] = (await db.query(`SELECT count(*)::int AS m FROM bench_merchant`)).rows as { m: number }[];
  const [{ nb }] = (await db.query(`SELECT count(*)::int AS nb FROM bench_batch`)).rows as { nb: number }[];
  await db.query('BEGIN');
  try {
    await db.query(`SET LOCAL session_replication_role = replica`);
  } catch {
    await db.query('ROLLBACK');
    await db.query('BEGIN');
    log('  (not a superuser: loading with triggers on, slower)');
  }
  await db.query(`SET LOCAL work_mem = '256MB'`);
  await db.query(
    `INSERT INTO voucher (batch_id, round_id, citizen_id, slot, status, claimed_at, valid_from, valid_until)
     SELECT b.batch_id, b.round_id, 1 + (i % $2), 1 + (i / $2), 'redeemed', t.at, t.at, t.at + interval '30 days'
       FROM generate_series(0, $1::int - 1) i
       JOIN bench_batch b ON b.idx = i % $3
       CROSS JOIN LATERAL (SELECT ((($4::date + (i % $5))::timestamp
                                    + make_interval(hours => (i * 7 + i / 1009) % 24, mins => i % 60)) AT TIME ZONE '${TZ}') AS at) t`,
    [n, citizens, nb, day0, days],
  );
  await db.query(
    `INSERT INTO redemption (voucher_id, batch_id, campaign_id, merchant_id, store_id, cashier_id, citizen_id,
       order_amount_fen, discount_fen, net_order_amount_fen, status, redeemed_at, business_day, reversed_at)
     SELECT v.id, v.batch_id, b.campaign_id, bm.merchant_id, bm.store_id, $2, v.citizen_id,
            10000 + (v.id % 50) * 100, b.face, 10000 + (v.id % 50) * 100,
            CASE WHEN v.id % 100 = 0 THEN 'reversed' ELSE 'active' END,
            v.claimed_at, (v.claimed_at AT TIME ZONE '${TZ}')::date,
            CASE WHEN v.id % 100 = 0 THEN v.claimed_at + interval '2 hours' END
       FROM voucher v JOIN bench_batch b ON b.batch_id = v.batch_id JOIN bench_merchant bm ON bm.idx = v.id % $1`,
    [m, cashierId],
  );
  await db.query(
    `INSERT INTO redemption_part (redemption_id, funder_id, merchant_id, business_day, amount_fen)
     SELECT r.id, cf.funder_id, r.merchant_id, r.business_day, r.discount_fen * cf.share_bp / 10000
       FROM redemption r JOIN campaign_funder cf ON cf.campaign_id = r.campaign_id`,
  );
  await db.query(
    `INSERT INTO refund (redemption_id, merchant_id, store_id, cashier_id, refund_amount_fen, order_amount_after_fen,
       outcome, refunded_at, business_day)
     SELECT r.id, r.merchant_id, r.store_id, r.cashier_id, r.order_amount_fen, 0, 'reversed_voided', r.reversed_at,
            (r.reversed_at AT TIME ZONE '${TZ}')::date
       FROM redemption r WHERE r.status = 'reversed'`,
  );
  await db.query(
    `INSERT INTO reversal (redemption_part_id, refund_id, funder_id, merchant_id, business_day, amount_fen, created_at)
     SELECT p.id, f.id, p.funder_id, p.merchant_id, f.business_day, p.amount_fen, f.refunded_at
       FROM refund f JOIN redemption_part p ON p.redemption_id = f.redemption_id`,
  );
  await db.query(
    `WITH kept AS (
       UPDATE redemption SET net_order_amount_fen = order_amount_fen - 500
        WHERE id % 20 = 1 AND id % 50 >= 5 RETURNING id, merchant_id, store_id, cashier_id, order_amount_fen, redeemed_at)
     INSERT INTO refund (redemption_id, merchant_id, store_id, cashier_id, refund_amount_fen, order_amount_after_fen,
       outcome, refunded_at, business_day)
     SELECT id, merchant_id, store_id, cashier_id, 500, order_amount_fen - 500, 'kept', redeemed_at + interval '1 hour',
            ((redeemed_at + interval '1 hour') AT TIME ZONE '${TZ}')::date FROM kept`,
  );
  await db.query(
    `UPDATE funder f SET committed_fen = x.amount
       FROM (SELECT p.funder_id, sum(p.amount_fen)::bigint AS amount FROM redemption_part p
               JOIN redemption r ON r.id = p.redemption_id WHERE r.status = 'active' GROUP BY 1) x
      WHERE f.id = x.funder_id`,
  );
  await db.query('COMMIT');
  for (const t of [
    'voucher',
    'redemption',
    'redemption_part',
    'refund',
    'reversal',
    'statement_line',
    'settlement_statement',
  ])
    await db.query(`VACUUM ANALYZE ${t}`);
}

async function startWorker(env: NodeJS.ProcessEnv, concurrency: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(__dirname, 'bench-settle-worker.js')], {
    env: { ...env, BENCH_WORKER_CONCURRENCY: String(concurrency) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready\n')) {
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
  });
  return child;
}

async function stopWorker(child: ChildProcess): Promise<number> {
  const line = new Promise<string>((resolve) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /\{.*"peakRssMb".*\}/.exec(out);
      if (m) resolve(m[0]);
    });
    child.once('exit', () => resolve(out));
  });
  child.kill('SIGTERM');
  const text = await line;
  await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
  const m = /\{.*"peakRssMb".*\}/.exec(text);
  return m ? (JSON.parse(m[0]) as { peakRssMb: number }).peakRssMb : NaN;
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  const services = await ensureServices(process.env, log);
  for (const note of services.notes) log(note);
  const databaseUrl = withDatabase(services.databaseUrl, BENCH_DB);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    DATABASE_URL: databaseUrl,
    REDIS_URL: services.redisUrl,
    REDIS_KEY_PREFIX: PREFIX,
    LOG_LEVEL: 'warn',
    SETTLEMENT_CHUNK_MERCHANTS: String(o.chunk),
    DATABASE_POOL_SIZE: '10',
  };
  const config = loadConfig(env);
  log(`bench:settle ${JSON.stringify(o)}`);
  await recreateDatabase(services.databaseUrl);
  await migrate(config, log);

  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot({ config }), {
    logger: ['error', 'warn'],
  });
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const result: Record<string, unknown> = {};
  try {
    const jobs = app.get(JobQueue);
    for (const q of QUEUES) await jobs.queue(q).obliterate({ force: true });
    const maxN = Math.max(...o.sizes, o.skipReport ? 0 : o.reportN);
    const citizens = Math.max(1000, Math.ceil(maxN / 100));
    const { financeId, cashierId } = await setUpReference(db, o, citizens);
    const runs = app.get(SettlementRunService);

    const settle: Record<string, number> = {};
    const rss: Record<string, number> = {};
    for (const n of o.sizes) {
      await resetVolume(db);
      let t = performance.now();
      await generate(db, n, { day0: SETTLE_DAY, days: 1 }, { citizens, cashierId });
      log(`n=${n}: data generated in ${round((performance.now() - t) / 1000, 1)} s`);
      const worker = await startWorker(env, o.concurrency);
      try {
        t = performance.now();
        const run = await runs.start(
          { id: financeId, role: Role.Finance },
          { fromDay: SETTLE_DAY, toDay: SETTLE_DAY },
        );
        for (;;) {
          const [row] = (await db.query(`SELECT status FROM settlement_run WHERE id = $1`, [run.id]))
            .rows as {
            status: string;
          }[];
          if (row.status === 'completed') break;
          if (row.status === 'failed') throw new Error(`run ${run.id} failed`);
          await sleep(20);
        }
        settle[String(n)] = round((performance.now() - t) / 1000);
      } finally {
        rss[String(n)] = await stopWorker(worker);
      }
      const [check] = (
        await db.query(
          `SELECT (SELECT count(*) FROM statement_line)::int AS lines,
                  (SELECT count(*) FROM redemption_part p JOIN redemption r ON r.id = p.redemption_id WHERE r.status = 'active')::int AS expected,
                  (SELECT count(*) FROM settlement_statement)::int AS statements`,
        )
      ).rows as { lines: number; expected: number; statements: number }[];
      if (check.lines !== check.expected)
        throw new Error(`n=${n}: ${check.lines} lines for ${check.expected} live parts`);
      log(
        `n=${n}: settled in ${settle[String(n)]} s (${check.statements} statements, ${check.lines} lines); worker peak RSS ${rss[String(n)]} MB`,
      );
    }

    // The floor: the same settlement as one plain statement over every merchant.
    const rawN = o.sizes[o.sizes.length - 1];
    await truncate(
      db,
      `TRUNCATE statement_line, settlement_statement, settlement_chunk, settlement_run RESTART IDENTITY`,
    );
    await db.query(`VACUUM ANALYZE statement_line`);
    await db.query(`VACUUM ANALYZE settlement_statement`);
    const [run] = (
      await db.query(
        `INSERT INTO settlement_run (kind, from_day, to_day, status) VALUES ('manual', $1, $1, 'running') RETURNING id`,
        [SETTLE_DAY],
      )
    ).rows as { id: number }[];
    let t = performance.now();
    await db.query('BEGIN');
    await db.query(`SET LOCAL work_mem = '64MB'`);
    const raw = (
      await db.query(settleChunkSql('$1', '$2', '$3', '$4', '$5', '$6', '$7'), [
        run.id,
        0,
        2_000_000_000,
        SETTLE_DAY,
        SETTLE_DAY,
        null,
        new Date(),
      ])
    ).rows[0] as { lines: number };
    await db.query('COMMIT');
    const rawS = round((performance.now() - t) / 1000);
    log(`raw set-based SQL on n=${rawN}: ${rawS} s (${raw.lines} lines)`);

    const growth: Record<string, number> = {};
    for (let i = 1; i < o.sizes.length; i++)
      growth[`${o.sizes[i]}/${o.sizes[i - 1]}`] = round(
        settle[String(o.sizes[i])] / settle[String(o.sizes[i - 1])],
        2,
      );
    Object.assign(result, {
      settle_s: settle,
      growth,
      raw_sql_1e6_s: rawS,
      raw_sql_n: rawN,
      ratio_vs_raw_1e6: round(settle[String(rawN)] / rawS, 2),
      worker_peak_rss_mb: Math.max(...Object.values(rss)),
      worker_peak_rss_mb_by_n: rss,
    });

    if (!o.skipReport) {
      await resetVolume(db);
      t = performance.now();
      await generate(db, o.reportN, { day0: REPORT_DAY0, days: o.reportDays }, { citizens, cashierId });
      log(
        `report data: ${o.reportN} redemptions over ${o.reportDays} days in ${round((performance.now() - t) / 1000, 1)} s`,
      );
      t = performance.now();
      const aggregates = app.get(ReportAggregatesService);
      const rebuilt = await aggregates.rebuild();
      const rebuildS = round((performance.now() - t) / 1000, 1);
      log(`aggregates rebuilt in ${rebuildS} s: ${JSON.stringify(rebuilt)}`);
      for (const table of [
        'rpt_redemption_hourly',
        'rpt_redemption_merchant_daily',
        'rpt_funder_hourly',
        'rpt_funder_merchant_daily',
        'rpt_claim_hourly',
      ])
        await db.query(`VACUUM ANALYZE ${table}`);
      const reports = app.get(LeverageReportService);
      const toDay = new Date(Date.parse(`${REPORT_DAY0}T00:00:00Z`) + (o.reportDays - 1) * 86_400_000)
        .toISOString()
        .slice(0, 10);
      const byGroup: Record<string, number> = {};
      let driven = 0;
      for (const groupBy of REPORT_GROUPS) {
        const times: number[] = [];
        for (let i = 0; i < o.reportReps + 1; i++) {
          const t0 = performance.now();
          const report = await reports.report({ fromDay: REPORT_DAY0, toDay, groupBy });
          if (i > 0) times.push(performance.now() - t0);
          driven = report.totals.drivenFen;
        }
        times.sort((a, b) => a - b);
        byGroup[groupBy] = round(times[Math.floor(times.length / 2)], 1);
      }
      const [{ expected }] = (
        await db.query(
          `SELECT COALESCE(sum(net_order_amount_fen), 0)::bigint::text AS expected FROM redemption WHERE status = 'active'`,
        )
      ).rows as { expected: string }[];
      if (String(driven) !== expected)
        throw new Error(`report says ${driven} fen driven, the redemptions ${expected}`);
      log(`report latency (median ms) over ${o.reportN} redemptions: ${JSON.stringify(byGroup)}`);
      Object.assign(result, {
        report_1e7_ms: Math.max(...Object.values(byGroup)),
        report_n: o.reportN,
        report_ms_by_group: byGroup,
        report_rebuild_s: rebuildS,
      });
    }
    const [{ size }] = (await db.query(`SELECT pg_size_pretty(pg_database_size(current_database())) AS size`))
      .rows as {
      size: string;
    }[];
    Object.assign(result, {
      params: o,
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        memory_gb: round(totalmem() / 2 ** 30, 1),
        database_size: size,
      },
    });
  } finally {
    await db.end();
    await app.close();
    // The data set takes GBs at full size: dropped unless --keep-db.
    if (!o.keepDb) await recreateDatabase(services.databaseUrl, false);
    await services.stop();
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
