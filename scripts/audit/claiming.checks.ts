import { claimKeys, parseMeta, parsePendingMember } from '@jinli/claiming';
import { AuditCheck, AuditContext } from './types';

const q = <T>(ctx: AuditContext, sql: string, params: unknown[] = []) =>
  ctx.dataSource.query(sql, params) as Promise<T[]>;

/** Invariants of claiming (issue 3): quotas, per-citizen limits, and Redis agreeing with PostgreSQL. */
export const CLAIMING_CHECKS: AuditCheck[] = [
  {
    name: 'claiming.batch_counts_match_vouchers',
    description:
      'voucher_batch.issued_count = its vouchers; returned_count = its vouchers with quota returned',
    async run(ctx) {
      const rows = await q<{
        id: number;
        issued_count: number;
        returned_count: number;
        n: number;
        r: number;
      }>(
        ctx,
        `SELECT b.id, b.issued_count, b.returned_count,
                count(v.id)::int AS n, count(v.id) FILTER (WHERE v.quota_returned)::int AS r
           FROM voucher_batch b LEFT JOIN voucher v ON v.batch_id = b.id
          GROUP BY b.id HAVING b.issued_count <> count(v.id)
              OR b.returned_count <> count(v.id) FILTER (WHERE v.quota_returned)
          ORDER BY b.id`,
      );
      return rows.map((r) => ({
        check: this.name,
        subject: `batch ${r.id}`,
        message: `issued_count ${r.issued_count} / returned_count ${r.returned_count}, but ${r.n} vouchers / ${r.r} returned`,
        details: {
          issuedCount: r.issued_count,
          vouchers: r.n,
          returnedCount: r.returned_count,
          returnedVouchers: r.r,
        },
      }));
    },
  },
  {
    name: 'claiming.batch_within_quota',
    description: 'issued - returned <= quota for every batch',
    async run(ctx) {
      const rows = await q<{ id: number; quota: number; out: number }>(
        ctx,
        `SELECT b.id, b.quota, (count(v.id) - count(v.id) FILTER (WHERE v.quota_returned))::int AS out
           FROM voucher_batch b LEFT JOIN voucher v ON v.batch_id = b.id
          GROUP BY b.id HAVING count(v.id) - count(v.id) FILTER (WHERE v.quota_returned) > b.quota
          ORDER BY b.id`,
      );
      return rows.map((r) => ({
        check: this.name,
        subject: `batch ${r.id}`,
        message: `${r.out} vouchers out for a quota of ${r.quota}: oversold by ${r.out - r.quota}`,
        details: { quota: r.quota, out: r.out },
      }));
    },
  },
  {
    name: 'claiming.round_within_quota',
    description: 'per round: issued_count = its vouchers and issued + carried_out <= quota + carried_in',
    async run(ctx) {
      const rows = await q<{
        id: number;
        batch_id: number;
        seq: number;
        quota: number;
        carried_in: number;
        carried_out: number;
        issued_count: number;
        n: number;
      }>(
        ctx,
        `SELECT r.id, r.batch_id, r.seq, r.quota, r.carried_in, r.carried_out, r.issued_count, count(v.id)::int AS n
           FROM claim_round r LEFT JOIN voucher v ON v.round_id = r.id
          GROUP BY r.id
         HAVING r.issued_count <> count(v.id) OR count(v.id) + r.carried_out > r.quota + r.carried_in
          ORDER BY r.batch_id, r.seq`,
      );
      return rows.map((r) => ({
        check: this.name,
        subject: `batch ${r.batch_id} round ${r.seq}`,
        message: `${r.n} vouchers (issued_count ${r.issued_count}) + ${r.carried_out} handed on, for quota ${r.quota} + ${r.carried_in} carried in`,
        details: { ...r },
      }));
    },
  },
  {
    name: 'claiming.carried_quota_balances',
    description:
      'per batch: quota carried between rounds balances (carried in = carried out + returned quota recycled into rounds, at most returned_count)',
    async run(ctx) {
      const rows = await q<{ id: number; returned_count: number; carried_in: number; carried_out: number }>(
        ctx,
        `SELECT b.id, b.returned_count, sum(r.carried_in)::int AS carried_in, sum(r.carried_out)::int AS carried_out
           FROM voucher_batch b JOIN claim_round r ON r.batch_id = b.id
          GROUP BY b.id, b.returned_count
         HAVING sum(r.carried_in) - sum(r.carried_out) NOT BETWEEN 0 AND b.returned_count
          ORDER BY b.id`,
      );
      return rows.map((r) => ({
        check: this.name,
        subject: `batch ${r.id}`,
        message: `rounds carried in ${r.carried_in} and out ${r.carried_out}: ${r.carried_in - r.carried_out} more than handed on, for ${r.returned_count} returned`,
        details: { ...r },
      }));
    },
  },
  {
    name: 'claiming.per_citizen_limit',
    description: 'no citizen holds more vouchers of a batch than its per-citizen limit',
    async run(ctx) {
      const rows = await q<{
        batch_id: number;
        citizen_id: number;
        n: number;
        max_slot: number;
        lim: number;
      }>(
        ctx,
        `SELECT v.batch_id, v.citizen_id, count(*)::int AS n, max(v.slot)::int AS max_slot, b.per_citizen_limit AS lim
           FROM voucher v JOIN voucher_batch b ON b.id = v.batch_id
          GROUP BY v.batch_id, v.citizen_id, b.per_citizen_limit
         HAVING count(*) > b.per_citizen_limit OR max(v.slot) > b.per_citizen_limit
          ORDER BY v.batch_id, v.citizen_id LIMIT 1000`,
      );
      return rows.map((r) => ({
        check: this.name,
        subject: `batch ${r.batch_id} citizen ${r.citizen_id}`,
        message: `holds ${r.n} vouchers (highest slot ${r.max_slot}), limit ${r.lim}`,
        details: { ...r },
      }));
    },
  },
  {
    name: 'claiming.redis_counters',
    description:
      'for every batch loaded in Redis: quota, returned, issued (per batch and round) and slots agree with PostgreSQL',
    async run(ctx) {
      return (await compareRedis(ctx)).problems.map((p) => ({ check: this.name, ...p }));
    },
  },
  {
    name: 'claiming.redis_counters_busy',
    description: 'batches whose Redis counters could not be compared: claims were moving on every attempt',
    severity: 'warning',
    async run(ctx) {
      return (await compareRedis(ctx)).busy.map((batchId) => ({
        check: this.name,
        subject: `batch ${batchId}`,
        message: `claims were in flight on each of ${COMPARE_ATTEMPTS} attempts; run the audit again after the drop`,
      }));
    },
  },
];

const COMPARE_ATTEMPTS = 5;
const COMPARE_PAUSE_MS = 200;
/** Per batch: what disagrees (subject and message), and the batches never quiet enough to compare. */
interface RedisComparison {
  problems: { subject: string; message: string }[];
  busy: number[];
}
const comparisons = new WeakMap<AuditContext, Promise<RedisComparison>>();

/** Both Redis checks share one comparison per audit run. */
function compareRedis(ctx: AuditContext): Promise<RedisComparison> {
  let found = comparisons.get(ctx);
  if (!found) {
    found = compareAll(ctx);
    comparisons.set(ctx, found);
  }
  return found;
}

async function compareAll(ctx: AuditContext): Promise<RedisComparison> {
  const out: RedisComparison = { problems: [], busy: [] };
  const batches = await q<{ id: number }>(ctx, 'SELECT id FROM voucher_batch ORDER BY id');
  for (const { id } of batches) {
    const problems = await compareBatch(ctx, id);
    if (problems === 'busy') out.busy.push(id);
    else for (const message of problems) out.problems.push({ subject: `batch ${id}`, message });
  }
  return out;
}

/** Redis's counters of one batch, read in one MULTI (a consistent picture of Redis). */
async function redisPicture(ctx: AuditContext, batchId: number) {
  const k = claimKeys(ctx.keyPrefix, batchId);
  const replies =
    (await ctx.redis.multi().hgetall(k.meta).zrange(k.pending, 0, -1).hlen(k.slots).exec()) ?? [];
  const [meta, pending, slots] = replies.map(([err, value]) => {
    if (err) throw err;
    return value;
  }) as [Record<string, string>, string[], number];
  return { meta, pending, slots };
}

/**
 * Compares one batch, or says it is busy. Claims move Redis and PostgreSQL one after the other (a
 * reservation, then its row, then its confirmation), so the two are only comparable at one moment:
 * Redis is read (atomically), then PostgreSQL (one snapshot), then Redis again; when the second
 * Redis picture shows no claim moved (same issued count, same pending reservations), the first one
 * and PostgreSQL describe the same moment, give or take the rows of pending reservations, which are
 * looked up in the same snapshot. Otherwise it tries again, a few times.
 */
async function compareBatch(ctx: AuditContext, batchId: number): Promise<string[] | 'busy'> {
  for (let attempt = 0; attempt < COMPARE_ATTEMPTS; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, COMPARE_PAUSE_MS));
    const before = await redisPicture(ctx, batchId);
    if (before.meta.loaded === undefined) return [];
    const pending = before.pending.map(parsePendingMember);
    const pg = await ctx.dataSource.transaction('REPEATABLE READ', async (m) => {
      const [b] = (await m.query(
        'SELECT quota, returned_count, issued_count FROM voucher_batch WHERE id = $1',
        [batchId],
      )) as { quota: number; returned_count: number; issued_count: number }[];
      const rounds = (await m.query(
        'SELECT seq, issued_count FROM claim_round WHERE batch_id = $1 ORDER BY seq',
        [batchId],
      )) as { seq: number; issued_count: number }[];
      const withRow = pending.length
        ? ((await m.query(
            `SELECT citizen_id, slot FROM voucher WHERE batch_id = $1 AND (citizen_id, slot) IN
               (SELECT * FROM unnest($2::int[], $3::smallint[]))`,
            [batchId, pending.map((p) => p.citizenId), pending.map((p) => p.slot)],
          )) as { citizen_id: number; slot: number }[])
        : [];
      return { b, rounds, withRow };
    });
    const after = await redisPicture(ctx, batchId);
    const moved =
      after.meta.issued !== before.meta.issued ||
      after.pending.length !== before.pending.length ||
      after.pending.some((m, i) => m !== before.pending[i]);
    if (moved) continue;
    return problemsOf(parseMeta(before.meta), before.slots, pending, pg);
  }
  return 'busy';
}

function problemsOf(
  snap: ReturnType<typeof parseMeta>,
  slots: number,
  pending: ReturnType<typeof parsePendingMember>[],
  pg: {
    b: { quota: number; returned_count: number; issued_count: number };
    rounds: { seq: number; issued_count: number }[];
    withRow: { citizen_id: number; slot: number }[];
  },
): string[] {
  const { b, rounds } = pg;
  // Reservations still waiting for their row are counted by Redis and not yet by PostgreSQL.
  const committed = new Set(pg.withRow.map((r) => `${r.citizen_id}:${r.slot}`));
  const inFlight = pending.filter((p) => !committed.has(`${p.citizenId}:${p.slot}`));
  const problems: string[] = [];
  if (snap.quota !== b.quota) problems.push(`quota ${snap.quota} in Redis, ${b.quota} in PostgreSQL`);
  if (snap.returned !== b.returned_count)
    problems.push(`returned ${snap.returned} in Redis, ${b.returned_count} in PostgreSQL`);
  if (snap.issued !== b.issued_count + inFlight.length)
    problems.push(
      `issued ${snap.issued} in Redis, ${b.issued_count} in PostgreSQL + ${inFlight.length} in flight`,
    );
  if (slots !== b.issued_count + inFlight.length)
    problems.push(`${slots} citizen slots in Redis for ${b.issued_count + inFlight.length} vouchers`);
  rounds.forEach((r, i) => {
    const redisRound = snap.rounds[i];
    const flying = inFlight.filter((p) => p.roundSeq === i + 1).length;
    if (!redisRound) problems.push(`round ${r.seq} missing in Redis`);
    else if (redisRound.issued !== r.issued_count + flying)
      problems.push(
        `round ${r.seq}: issued ${redisRound.issued} in Redis, ${r.issued_count} in PostgreSQL + ${flying} in flight`,
      );
  });
  if (snap.rounds.length !== rounds.length)
    problems.push(`${snap.rounds.length} rounds in Redis, ${rounds.length} in PostgreSQL`);
  return problems;
}
