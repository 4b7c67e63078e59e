import { upsertSql } from '../aggregates/aggregate-sql';
import { ratio } from './leverage-report.service';

describe('ratio', () => {
  it('rounds to four decimals for display and has no value on a zero base', () => {
    expect(ratio(150_000_000_000, 12_800_000_000)).toBe(11.7188);
    expect(ratio(1, 3)).toBe(0.3333);
    expect(ratio(5, 0)).toBeNull();
  });
});

describe('upsertSql', () => {
  it('sums one set of deltas into every table, adding to existing rows', () => {
    const sql = upsertSql('SELECT 1', [
      { name: 'a', constraint: 'pk_a', keys: ['day'], measures: ['n'] },
      { name: 'b', constraint: 'pk_b', keys: ['day', 'hour'], measures: ['n', 'm'] },
    ]);
    expect(sql).toContain('WITH d AS (SELECT 1), w0 AS (INSERT INTO a (day, n)');
    expect(sql).toContain('ON CONFLICT ON CONSTRAINT pk_a DO UPDATE SET n = a.n + excluded.n RETURNING 1)');
    expect(sql).toMatch(
      /INSERT INTO b \(day, hour, n, m\)\s+SELECT day, hour, sum\(n\)::bigint, sum\(m\)::bigint FROM d GROUP BY day, hour/,
    );
  });
});
