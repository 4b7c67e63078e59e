import { OutboxTopic } from '@jinli/contracts';

/** An aggregate table: its key columns and the measures summed into it. */
export interface AggregateTable {
  name: string;
  constraint: string;
  keys: string[];
  measures: string[];
}

export const REDEMPTION_MEASURES = [
  'redemption_count',
  'reversed_count',
  'discount_fen',
  'reversed_discount_fen',
  'order_fen',
  'net_order_fen',
  'refund_count',
  'refund_fen',
];
export const FUNDER_MEASURES = [
  'redemption_count',
  'reversed_count',
  'subsidy_fen',
  'reversed_subsidy_fen',
  'driven_fen',
];

export const REDEMPTION_TABLES: AggregateTable[] = [
  {
    name: 'rpt_redemption_hourly',
    constraint: 'pk_rpt_redemption_hourly',
    keys: ['day', 'hour', 'campaign_id', 'batch_id', 'district', 'category'],
    measures: REDEMPTION_MEASURES,
  },
  {
    name: 'rpt_redemption_merchant_daily',
    constraint: 'pk_rpt_redemption_merchant_daily',
    keys: ['day', 'campaign_id', 'batch_id', 'merchant_id', 'district', 'category'],
    measures: REDEMPTION_MEASURES,
  },
];
/** The outbox topics the aggregates are kept from. */
export const REPORTING_TOPICS: string[] = [
  OutboxTopic.RedemptionCreated,
  OutboxTopic.RedemptionReversed,
  OutboxTopic.RedemptionAmended,
];
/** Ids of the outbox rows the aggregates have not applied yet ($1: REPORTING_TOPICS). */
export const PENDING_EVENTS_SQL = `SELECT id FROM outbox_event WHERE published_at IS NULL AND topic = ANY($1::text[])`;

export const FUNDER_TABLES: AggregateTable[] = [
  {
    name: 'rpt_funder_hourly',
    constraint: 'pk_rpt_funder_hourly',
    keys: ['day', 'hour', 'campaign_id', 'batch_id', 'funder_id', 'district', 'category'],
    measures: FUNDER_MEASURES,
  },
  {
    name: 'rpt_funder_merchant_daily',
    constraint: 'pk_rpt_funder_merchant_daily',
    keys: ['day', 'campaign_id', 'batch_id', 'funder_id', 'merchant_id', 'district', 'category'],
    measures: FUNDER_MEASURES,
  },
];

/**
 * One statement that sums `deltas` (rows at the finest grain) into every table, adding to existing
 * rows. `deltas` may use parameters; they are shared by the whole statement.
 */
export function upsertSql(deltas: string, tables: AggregateTable[]): string {
  const parts = tables.map((t) => {
    const keys = t.keys.join(', ');
    const sums = t.measures.map((m) => `sum(${m})::bigint`).join(', ');
    const updates = t.measures.map((m) => `${m} = ${t.name}.${m} + excluded.${m}`).join(', ');
    return `INSERT INTO ${t.name} (${keys}, ${t.measures.join(', ')})
      SELECT ${keys}, ${sums} FROM d GROUP BY ${keys}
      ON CONFLICT ON CONSTRAINT ${t.constraint} DO UPDATE SET ${updates}`;
  });
  const [last, ...first] = parts.reverse();
  const ctes = first.reverse().map((p, i) => `, w${i} AS (${p} RETURNING 1)`);
  return `WITH d AS (${deltas})${ctes.join('')} ${last}`;
}

const CREATED = `'${OutboxTopic.RedemptionCreated}'`;
const REVERSED = `'${OutboxTopic.RedemptionReversed}'`;

/** The immutable attributes of a redemption that key every aggregate (`tz`: the time zone parameter). */
function redemptionKeys(tz: string): string {
  return `r.business_day AS day, extract(hour FROM r.redeemed_at AT TIME ZONE ${tz})::smallint AS hour,
  r.campaign_id, r.batch_id, r.merchant_id, s.district, m.category`;
}
const REDEMPTION_JOINS = `JOIN store s ON s.id = r.store_id JOIN merchant m ON m.id = r.merchant_id`;

/**
 * Redemption-grain deltas of outbox rows $1 (ids), times $3 (+1 to apply, -1 to take back).
 * created: +1 redemption, its discount, its order (gross and net); reversed: +1 reversed, its
 * discount reversed, minus the net order it still had, +1 refund; amended: minus the refund from the
 * net order, +1 refund. Attributed to the redemption's own day and hour.
 */
export const REDEMPTION_EVENT_DELTAS = `
  SELECT ${redemptionKeys('$2')},
         $3::int * (e.topic = ${CREATED})::int AS redemption_count,
         $3::int * (e.topic = ${REVERSED})::int AS reversed_count,
         $3::int * CASE WHEN e.topic = ${CREATED} THEN r.discount_fen ELSE 0 END AS discount_fen,
         $3::int * CASE WHEN e.topic = ${REVERSED} THEN r.discount_fen ELSE 0 END AS reversed_discount_fen,
         $3::int * CASE WHEN e.topic = ${CREATED} THEN r.order_amount_fen ELSE 0 END AS order_fen,
         $3::int * CASE WHEN e.topic = ${CREATED} THEN r.order_amount_fen
                        WHEN e.topic = ${REVERSED} THEN -(e.payload->>'netOrderAmountBeforeFen')::bigint
                        ELSE -(e.payload->>'refundAmountFen')::bigint END AS net_order_fen,
         $3::int * (e.topic <> ${CREATED})::int AS refund_count,
         $3::int * CASE WHEN e.topic = ${CREATED} THEN 0 ELSE (e.payload->>'refundAmountFen')::bigint END AS refund_fen
    FROM outbox_event e
    JOIN redemption r ON r.id = (e.payload->>'redemptionId')::bigint
    ${REDEMPTION_JOINS}
   WHERE e.id = ANY($1::bigint[])`;

/**
 * Splits consumption driven between a redemption's funders in proportion to their parts of the
 * subsidy: each part but the one of the highest funder id gets floor(net x part / discount), that
 * one gets the rest, so the shares always sum to the net order amount exactly. `source` yields, per
 * redemption key `k`, one row per part with `amount`, `discount`, `net_plus`, `net_minus`; the
 * result's `driven` is share(net_plus) - share(net_minus).
 */
function apportioned(source: string): string {
  return `
    SELECT q.*,
           (CASE WHEN q.rn = 1 THEN q.net_plus - sum(q.s_plus) OVER (PARTITION BY q.k) ELSE q.s_plus END
            - CASE WHEN q.rn = 1 THEN q.net_minus - sum(q.s_minus) OVER (PARTITION BY q.k) ELSE q.s_minus END)::bigint AS driven
      FROM (SELECT p.*,
                   CASE WHEN p.rn = 1 THEN 0 ELSE div(p.net_plus::numeric * p.amount, p.discount) END AS s_plus,
                   CASE WHEN p.rn = 1 THEN 0 ELSE div(p.net_minus::numeric * p.amount, p.discount) END AS s_minus
              FROM (SELECT x.*, row_number() OVER (PARTITION BY x.k ORDER BY x.funder_id DESC) AS rn FROM (${source}) x) p) q`;
}

const FUNDER_SELECT = `SELECT day, hour, campaign_id, batch_id, funder_id, merchant_id, district, category,
  sign * created AS redemption_count, sign * reversed AS reversed_count,
  sign * created * amount AS subsidy_fen, sign * reversed * amount AS reversed_subsidy_fen, sign * driven AS driven_fen`;

/** Funder-grain deltas of outbox rows $1, times $3: each part's subsidy, and its share of the net order. */
export const FUNDER_EVENT_DELTAS = `${FUNDER_SELECT} FROM (${apportioned(`
  SELECT e.id AS k, $3::int AS sign, ${redemptionKeys('$2')}, rp.funder_id, rp.amount_fen AS amount,
         r.discount_fen AS discount,
         (e.topic = ${CREATED})::int AS created, (e.topic = ${REVERSED})::int AS reversed,
         CASE WHEN e.topic = ${CREATED} THEN r.order_amount_fen
              WHEN e.topic = ${REVERSED} THEN 0
              ELSE (e.payload->>'netOrderAmountAfterFen')::bigint END AS net_plus,
         CASE WHEN e.topic = ${CREATED} THEN 0
              WHEN e.topic = ${REVERSED} THEN (e.payload->>'netOrderAmountBeforeFen')::bigint
              ELSE (e.payload->>'netOrderAmountAfterFen')::bigint + (e.payload->>'refundAmountFen')::bigint END AS net_minus
    FROM outbox_event e
    JOIN redemption r ON r.id = (e.payload->>'redemptionId')::bigint
    JOIN redemption_part rp ON rp.redemption_id = r.id
    ${REDEMPTION_JOINS}
   WHERE e.id = ANY($1::bigint[])`)}) a`;

/** Redemption-grain rows of the current state of every redemption (`tz`: the time zone parameter). */
export function redemptionBaseSql(tz: string): string {
  return `
  SELECT ${redemptionKeys(tz)},
         1 AS redemption_count, (r.status = 'reversed')::int AS reversed_count,
         r.discount_fen, CASE WHEN r.status = 'reversed' THEN r.discount_fen ELSE 0 END AS reversed_discount_fen,
         r.order_amount_fen AS order_fen,
         CASE WHEN r.status = 'active' THEN r.net_order_amount_fen ELSE 0 END AS net_order_fen,
         COALESCE(f.n, 0) AS refund_count, COALESCE(f.amount, 0) AS refund_fen
    FROM redemption r
    ${REDEMPTION_JOINS}
    LEFT JOIN (SELECT redemption_id, count(*) AS n, sum(refund_amount_fen) AS amount FROM refund GROUP BY 1) f
      ON f.redemption_id = r.id`;
}
/** {@link redemptionBaseSql} with the time zone as $1. */
export const REDEMPTION_BASE = redemptionBaseSql('$1');

/** Funder-grain rows of the current state of every redemption part (`tz`: the time zone parameter). */
export function funderBaseSql(tz: string): string {
  return `${FUNDER_SELECT} FROM (${apportioned(`
  SELECT r.id AS k, 1 AS sign, ${redemptionKeys(tz)}, rp.funder_id, rp.amount_fen AS amount,
         r.discount_fen AS discount, 1 AS created, (r.status = 'reversed')::int AS reversed,
         CASE WHEN r.status = 'active' THEN r.net_order_amount_fen ELSE 0 END AS net_plus, 0 AS net_minus
    FROM redemption r
    JOIN redemption_part rp ON rp.redemption_id = r.id
    ${REDEMPTION_JOINS}`)}) a`;
}
/** {@link funderBaseSql} with the time zone as $1. */
export const FUNDER_BASE = funderBaseSql('$1');

export const CLAIM_TABLE: AggregateTable = {
  name: 'rpt_claim_hourly',
  constraint: 'pk_rpt_claim_hourly',
  keys: ['day', 'hour', 'campaign_id', 'batch_id'],
  measures: ['claimed_count', 'issued_fen'],
};

/** Claims per business day and hour of the vouchers matching `where` (`tz`: the time zone parameter). */
export function claimsBaseSql(where: string, tz: string): string {
  return `
  SELECT (v.claimed_at AT TIME ZONE ${tz})::date AS day, extract(hour FROM v.claimed_at AT TIME ZONE ${tz})::smallint AS hour,
         b.campaign_id, v.batch_id, count(*) AS claimed_count, sum(b.face_value_fen)::bigint AS issued_fen
    FROM voucher v JOIN voucher_batch b ON b.id = v.batch_id
   WHERE ${where}
   GROUP BY 1, 2, 3, 4`;
}

/** Claims of vouchers claimed from $1 (instant) on, per business day and hour ($2: time zone). */
export const CLAIMS_SINCE = `
  INSERT INTO rpt_claim_hourly (day, hour, campaign_id, batch_id, claimed_count, issued_fen)
  ${claimsBaseSql('v.claimed_at >= $1', '$2')}`;

/**
 * One statement listing the keys where `tables` (one family, at most `limit` rows per table) differ
 * from `expected` (rows at a grain as fine as every table's keys, to be summed): a FULL OUTER JOIN
 * per table, a missing row counting as zeros. `actualWhere` limits the table rows compared. Columns:
 * tbl, key, expected, actual (jsonb) and total (differing keys of that table).
 */
export function driftSql(
  expected: string,
  tables: AggregateTable[],
  limit: string,
  actualWhere = 'true',
): string {
  const finest = [...new Set(tables.flatMap((t) => t.keys))];
  const measures = tables[0].measures;
  const sums = (cols: string[]) => cols.map((m) => `sum(${m})::bigint AS ${m}`).join(', ');
  const json = (side: string) =>
    `jsonb_build_object(${measures.map((m) => `'${m}', COALESCE(${side}.${m}, 0)`).join(', ')})`;
  const diffs = tables.map((t, i) => {
    const keys = t.keys.join(', ');
    const key = `jsonb_build_object(${t.keys.map((k) => `'${k}', COALESCE(e.${k}, a.${k})`).join(', ')})`;
    return `t${i} AS (
      SELECT '${t.name}'::text AS tbl, ${key} AS key, ${json('e')} AS expected, ${json('a')} AS actual
        FROM (SELECT ${keys}, ${sums(measures)} FROM x GROUP BY ${keys}) e
        FULL JOIN (SELECT * FROM ${t.name} WHERE ${actualWhere}) a ON ${t.keys.map((k) => `a.${k} = e.${k}`).join(' AND ')}
       WHERE ${measures.map((m) => `COALESCE(e.${m}, 0) <> COALESCE(a.${m}, 0)`).join(' OR ')})`;
  });
  return `WITH x AS MATERIALIZED (SELECT ${finest.join(', ')}, ${sums(measures)} FROM (${expected}) s GROUP BY ${finest.join(', ')}),
    ${diffs.join(',\n    ')}
    SELECT tbl, key, expected, actual, total::int FROM (
      SELECT u.*, row_number() OVER (PARTITION BY tbl ORDER BY key) AS n, count(*) OVER (PARTITION BY tbl) AS total
        FROM (${tables.map((_, i) => `SELECT * FROM t${i}`).join(' UNION ALL ')}) u) v
     WHERE n <= ${limit} ORDER BY tbl, key`;
}
