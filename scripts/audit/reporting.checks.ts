import { loadConfig } from '@jinli/platform';
import {
  AggregateTable,
  CLAIM_TABLE,
  claimsBaseSql,
  driftSql,
  FUNDER_EVENT_DELTAS,
  FUNDER_TABLES,
  funderBaseSql,
  PENDING_EVENTS_SQL,
  REDEMPTION_EVENT_DELTAS,
  REDEMPTION_TABLES,
  redemptionBaseSql,
  REPORTING_TOPICS,
} from '@jinli/reporting';
import { AuditCheck, AuditViolation } from './types';

/** Differing keys listed per aggregate table; the rest are counted in one line. */
export const REPORTING_DRIFT_LIMIT = 20;

interface DriftRow {
  tbl: string;
  key: Record<string, string | number>;
  expected: Record<string, number | string>;
  actual: Record<string, number | string>;
  total: number;
}

/**
 * What each family of tables should hold: the base rows (as the rebuild sums them) with the effect
 * of outbox rows not yet applied taken back, as the rebuild does. $1 pending ids, $2 time zone,
 * $3 -1 (the sign of the deltas), $4 the limit.
 */
function expectedOf(base: string, deltas: string, tables: AggregateTable[]): string {
  const select = [...new Set(tables.flatMap((t) => t.keys)), ...tables[0].measures].join(', ');
  return `SELECT ${select} FROM (${base}) b UNION ALL SELECT ${select} FROM (${deltas}) p`;
}

/** Invariants of reporting: the rpt_* aggregates equal what the base tables give. */
export const REPORTING_CHECKS: AuditCheck[] = [
  {
    name: 'reporting.aggregates_match_base',
    description:
      'rpt_* aggregates equal their base tables: redemptions, refunds and parts (net of outbox rows not yet applied), and claims of days no longer recounted',
    async run(ctx) {
      const tz = ctx.businessTimeZone ?? loadConfig().businessTimeZone;
      const rows = await ctx.dataSource.transaction('REPEATABLE READ', async (m) => {
        await m.query('SET TRANSACTION READ ONLY');
        // A full comparison reads every redemption and voucher, like a rebuild: not a request.
        await m.query('SET LOCAL statement_timeout = 0');
        await m.query(`SET LOCAL work_mem = '256MB'`);
        const pending = ((await m.query(PENDING_EVENTS_SQL, [REPORTING_TOPICS])) as { id: number }[]).map(
          (p) => p.id,
        );
        const params = [pending, tz, -1, REPORTING_DRIFT_LIMIT];
        const redemption = (await m.query(
          driftSql(
            expectedOf(redemptionBaseSql('$2'), REDEMPTION_EVENT_DELTAS, REDEMPTION_TABLES),
            REDEMPTION_TABLES,
            '$4',
          ),
          params,
        )) as DriftRow[];
        const funder = (await m.query(
          driftSql(expectedOf(funderBaseSql('$2'), FUNDER_EVENT_DELTAS, FUNDER_TABLES), FUNDER_TABLES, '$4'),
          params,
        )) as DriftRow[];
        // Claims are recounted by a job from rpt_refresh_state.from_day on (the days that can still
        // change); the days before it are final and must equal their vouchers.
        const frozen = `day < (SELECT from_day FROM rpt_refresh_state WHERE name = 'claims')`;
        const claims = (await m.query(
          driftSql(
            claimsBaseSql(
              `v.claimed_at < (SELECT from_day::timestamp AT TIME ZONE $1 FROM rpt_refresh_state WHERE name = 'claims')`,
              '$1',
            ),
            [CLAIM_TABLE],
            '$2',
            frozen,
          ),
          [tz, REPORTING_DRIFT_LIMIT],
        )) as DriftRow[];
        return [...redemption, ...funder, ...claims];
      });
      return describe(this.name, rows);
    },
  },
];

function describe(check: string, rows: DriftRow[]): AuditViolation[] {
  const tables = new Map([...REDEMPTION_TABLES, ...FUNDER_TABLES, CLAIM_TABLE].map((t) => [t.name, t]));
  const out: AuditViolation[] = [];
  for (const [i, r] of rows.entries()) {
    const table = tables.get(r.tbl)!;
    const key = table.keys.map((k) => `${k}=${r.key[k]}`).join(' ');
    const differ = table.measures.filter((m) => String(r.expected[m]) !== String(r.actual[m]));
    out.push({
      check,
      subject: `${r.tbl} ${key}`,
      message: differ.map((m) => `${m} expected ${r.expected[m]}, actual ${r.actual[m]}`).join('; '),
      details: { table: r.tbl, key: r.key, expected: r.expected, actual: r.actual },
    });
    const last = rows[i + 1]?.tbl !== r.tbl;
    if (last && r.total > REPORTING_DRIFT_LIMIT) {
      out.push({
        check,
        subject: r.tbl,
        message: `${r.total - REPORTING_DRIFT_LIMIT} more differing rows not listed (${r.total} in all)`,
        details: { table: r.tbl, total: r.total },
      });
    }
  }
  return out;
}
