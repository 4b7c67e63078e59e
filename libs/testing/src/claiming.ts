import { NestFactory } from '@nestjs/core';
import { INestApplicationContext } from '@nestjs/common';
import { Role } from '@jinli/contracts';
import { JobDefinition, JobRunner, TokenService } from '@jinli/platform';
import { WorkerModule } from '../../../apps/worker/src/worker.module';
import { TestApi } from './test-api';

let phoneSeq = 0;

/**
 * Many citizens at once (one INSERT), each with a token minted beforehand: for burst tests.
 * Phone numbers come from a range Factories.citizen does not use (prefix 19).
 */
export async function bulkCitizens(
  api: TestApi,
  count: number,
  options: { verified?: boolean } = {},
): Promise<{ id: number; token: string }[]> {
  const tokens = api.get(TokenService);
  const ids: number[] = [];
  while (ids.length < count) {
    const phones = Array.from({ length: count - ids.length }, () => {
      phoneSeq += 1;
      const n = ((process.pid % 997) * 1_000_003 + phoneSeq * 7919 + Math.floor(Math.random() * 1e4)) % 1e9;
      return `19${String(n).padStart(9, '0')}`;
    });
    const rows = (await api.dataSource.query(
      `INSERT INTO citizen (phone, verified, id_number_hash)
       SELECT p, $2, CASE WHEN $2 THEN md5(p || random()::text) END FROM unnest($1::text[]) AS p
       ON CONFLICT DO NOTHING RETURNING id`,
      [phones, options.verified ?? false],
    )) as { id: number }[];
    ids.push(...rows.map((r) => r.id));
  }
  const now = api.clock.nowMs();
  return ids.map((id) => ({ id, token: tokens.issue({ id, role: Role.Citizen }, now).accessToken }));
}

/** The worker's application context on the same database, Redis and clock as a TestApi. */
export class TestWorker {
  private constructor(readonly app: INestApplicationContext) {}

  static async start(api: TestApi): Promise<TestWorker> {
    const app = await NestFactory.createApplicationContext(
      WorkerModule.forRoot({ config: api.config, clock: api.clock }),
      { logger: false, abortOnError: false },
    );
    await app.init();
    return new TestWorker(app);
  }

  /** Runs a job's handler now, as the worker would (without a queue). */
  run<P>(def: JobDefinition<P>, payload: P): Promise<unknown> {
    return this.app.get(JobRunner).runNow(def, payload);
  }

  close(): Promise<void> {
    return this.app.close();
  }
}

/** Fires one claim per token at once and tallies the answers by code ('claimed' for 201). */
export async function claimAll(
  api: TestApi,
  batchId: number,
  tokens: string[],
): Promise<{ counts: Record<string, number>; results: { status: number; body: any }[] }> {
  const results = await Promise.all(
    tokens.map((token) => api.request('POST', `/api/v1/claiming/batches/${batchId}/claim`, { token })),
  );
  const counts: Record<string, number> = {};
  for (const r of results) {
    const key = r.status === 201 ? 'claimed' : String(r.body?.code ?? r.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return { counts, results };
}

/** Vouchers of a batch in PostgreSQL, and the batch's own counters. */
export async function batchCounts(
  api: TestApi,
  batchId: number,
): Promise<{ vouchers: number; issuedCount: number; returnedCount: number; maxPerCitizen: number }> {
  const [row] = (await api.dataSource.query(
    `SELECT (SELECT count(*)::int FROM voucher WHERE batch_id = $1) AS vouchers,
            b.issued_count, b.returned_count,
            COALESCE((SELECT max(n) FROM (SELECT count(*)::int AS n FROM voucher WHERE batch_id = $1 GROUP BY citizen_id) x), 0) AS max_per_citizen
       FROM voucher_batch b WHERE b.id = $1`,
    [batchId],
  )) as { vouchers: number; issued_count: number; returned_count: number; max_per_citizen: number }[];
  return {
    vouchers: row.vouchers,
    issuedCount: row.issued_count,
    returnedCount: row.returned_count,
    maxPerCitizen: row.max_per_citizen,
  };
}
