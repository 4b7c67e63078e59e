import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { claimKeys } from '@jinli/claiming';
import { bulkCitizens, claimAll, Factories, HOUR, TestApi } from '@jinli/testing';
import { AUDIT_CHECKS, formatReport, runAudit } from '../../scripts/audit/registry';

describe('npm run audit', () => {
  let api: TestApi;
  let f: Factories;
  beforeAll(async () => {
    api = await TestApi.start({ env: { CLAIM_RATE_PER_IP: '1000000' } });
    f = await new Factories(api).init();
  });
  afterAll(() => api.close());

  const audit = () =>
    runAudit({ dataSource: api.dataSource, redis: api.redis.client, keyPrefix: api.config.redis.keyPrefix });
  const about = (batchId: number, report: Awaited<ReturnType<typeof audit>>) =>
    report.violations.filter(
      (v) => v.subject === `batch ${batchId}` || v.subject.startsWith(`batch ${batchId} `),
    );

  async function soldBatch() {
    const batch = await f.batch({
      quota: 10,
      perCitizenLimit: 2,
      rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 10 }],
    });
    const citizens = await bulkCitizens(api, 8);
    await claimAll(
      api,
      batch.id,
      [...citizens, ...citizens].map((c) => c.token),
    );
    return batch;
  }

  it('finds nothing wrong after a burst', async () => {
    const batch = await soldBatch();
    const report = await audit();
    expect(about(batch.id, report)).toEqual([]);
    expect(report.checks.map((c) => c.name)).toEqual(AUDIT_CHECKS.map((c) => c.name));
    expect(formatReport(report)).toContain('claiming.batch_within_quota');
  });

  it('finds nothing wrong while claims are being made, however its reads fall between them', async () => {
    const batch = await f.batch({
      quota: 1000,
      rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 1000 }],
    });
    const citizens = await bulkCitizens(api, 2000);
    const redisChecks = AUDIT_CHECKS.filter((c) => c.name.startsWith('claiming.redis_counters'));
    let done = false;
    const claims = claimAll(
      api,
      batch.id,
      citizens.map((c) => c.token),
    ).finally(() => {
      done = true;
    });
    const found: unknown[] = [];
    let duringClaims = 0;
    while (!done) {
      duringClaims += 1;
      const report = await runAudit(
        { dataSource: api.dataSource, redis: api.redis.client, keyPrefix: api.config.redis.keyPrefix },
        redisChecks,
      );
      found.push(...about(batch.id, report));
    }
    expect((await claims).counts).toEqual({ claimed: 1000, CLAIM_BATCH_SOLD_OUT: 1000 });
    expect(duringClaims).toBeGreaterThan(0);
    expect(found).toEqual([]);
    const after = await audit();
    expect(about(batch.id, after)).toEqual([]);
    expect(after.warnings.filter((w) => w.subject === `batch ${batch.id}`)).toEqual([]);
  });

  it('reports a batch counter that disagrees with its vouchers, and Redis disagreeing with PostgreSQL', async () => {
    const batch = await soldBatch();
    await api.dataSource.query('UPDATE voucher_batch SET issued_count = issued_count - 1 WHERE id = $1', [
      batch.id,
    ]);
    await api.redis.client.hincrby(claimKeys(api.config.redis.keyPrefix, batch.id).meta, 'is1', 3);
    try {
      const report = await audit();
      expect(report.ok).toBe(false);
      const found = about(batch.id, report);
      expect(found.map((v) => v.check)).toEqual(
        expect.arrayContaining(['claiming.batch_counts_match_vouchers', 'claiming.redis_counters']),
      );
      expect(
        found.find((v) => v.check === 'claiming.redis_counters' && /round 1/.test(v.message)),
      ).toBeDefined();
    } finally {
      await api.dataSource.query('UPDATE voucher_batch SET issued_count = issued_count + 1 WHERE id = $1', [
        batch.id,
      ]);
      await api.redis.client.hincrby(claimKeys(api.config.redis.keyPrefix, batch.id).meta, 'is1', -3);
    }
  });

  it('reports quota carried into a round that no round handed on and no voucher returned', async () => {
    const batch = await soldBatch();
    await api.dataSource.query('UPDATE claim_round SET carried_in = carried_in + 2 WHERE batch_id = $1', [
      batch.id,
    ]);
    try {
      const found = about(batch.id, await audit());
      expect(found).toEqual([
        expect.objectContaining({ check: 'claiming.carried_quota_balances', subject: `batch ${batch.id}` }),
      ]);
    } finally {
      await api.dataSource.query('UPDATE claim_round SET carried_in = carried_in - 2 WHERE batch_id = $1', [
        batch.id,
      ]);
    }
  });

  it('exits non-zero and prints the violation when run as a script', async () => {
    const batch = await soldBatch();
    await api.redis.client.hincrby(claimKeys(api.config.redis.keyPrefix, batch.id).meta, 'issued', 1);
    try {
      const root = join(__dirname, '..', '..');
      const run = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), ['scripts/audit.ts'], {
        cwd: root,
        env: { ...process.env, LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status).toBe(1);
      expect(run.stdout).toContain(`batch ${batch.id}: issued`);
      expect(run.stdout).toContain('INVARIANTS VIOLATED');
    } finally {
      await api.redis.client.hincrby(claimKeys(api.config.redis.keyPrefix, batch.id).meta, 'issued', -1);
    }
  });
});
