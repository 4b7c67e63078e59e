import { IdempotencyService, JinliException } from '@jinli/platform';
import { TestApi, uniq } from '@jinli/testing';

describe('IdempotencyService (real PostgreSQL)', () => {
  let api: TestApi;
  let sut: IdempotencyService;

  beforeAll(async () => {
    api = await TestApi.start();
    sut = api.get(IdempotencyService);
  });
  afterAll(() => api.close());

  const code = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'OK';
    } catch (e) {
      return e instanceof JinliException ? e.code : String(e);
    }
  };

  it('runs once, replays the stored answer, refuses the key for another request', async () => {
    const key = uniq('k');
    let runs = 0;
    const work = async () => ({ status: 201, body: { n: ++runs } });
    const first = await sut.run({ scope: 'test:1', key, fingerprint: { a: 1, b: [1, 2] } }, work);
    expect(first).toEqual({ status: 201, body: { n: 1 }, replayed: false });
    // Key order of the fingerprint does not matter.
    const again = await sut.run({ scope: 'test:1', key, fingerprint: { b: [1, 2], a: 1 } }, work);
    expect(again).toEqual({ status: 201, body: { n: 1 }, replayed: true });
    expect(await code(sut.run({ scope: 'test:1', key, fingerprint: { a: 2 } }, work))).toBe(
      'IDEMPOTENCY_KEY_REUSED',
    );
    // Another caller's identical key is another key.
    const other = await sut.run({ scope: 'test:2', key, fingerprint: { a: 1, b: [1, 2] } }, work);
    expect(other.body).toEqual({ n: 2 });
    expect(runs).toBe(2);
  });

  it('answers IDEMPOTENCY_IN_PROGRESS to a duplicate while the first runs, with no effect', async () => {
    const key = uniq('k');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let runs = 0;
    const slow = sut.run({ scope: 'test:1', key, fingerprint: 'x' }, async () => {
      runs++;
      await gate;
      return { status: 200, body: 'done' };
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(
      await code(
        sut.run({ scope: 'test:1', key, fingerprint: 'x' }, async () => ({ status: 200, body: runs++ })),
      ),
    ).toBe('IDEMPOTENCY_IN_PROGRESS');
    release();
    expect((await slow).body).toBe('done');
    expect(
      (
        await sut.run({ scope: 'test:1', key, fingerprint: 'x' }, async () => ({
          status: 200,
          body: 'again',
        }))
      ).body,
    ).toBe('done');
    expect(runs).toBe(1);
  });

  it('stores nothing when the work fails, and rolls its writes back', async () => {
    const key = uniq('k');
    const topic = uniq('test.topic');
    const failing = sut.run({ scope: 'test:1', key, fingerprint: 'y' }, async (m) => {
      await m.query(
        `INSERT INTO outbox_event (topic, aggregate_id, payload, created_at) VALUES ($1, '1', '{}', now())`,
        [topic],
      );
      throw new JinliException('CONFLICT', 'refused');
    });
    expect(await code(failing)).toBe('CONFLICT');
    expect(await api.dataSource.query(`SELECT 1 FROM outbox_event WHERE topic = $1`, [topic])).toHaveLength(
      0,
    );
    expect(await api.dataSource.query(`SELECT 1 FROM idempotency_record WHERE key = $1`, [key])).toHaveLength(
      0,
    );
    const retry = await sut.run({ scope: 'test:1', key, fingerprint: 'y' }, async () => ({
      status: 201,
      body: 'ok',
    }));
    expect(retry).toEqual({ status: 201, body: 'ok', replayed: false });
  });

  it('validates keys and purges old records', async () => {
    expect(() => IdempotencyService.checkKey(undefined)).toThrow(JinliException);
    expect(() => IdempotencyService.checkKey('has space')).toThrow(JinliException);
    expect(() => IdempotencyService.checkKey('x'.repeat(201))).toThrow(JinliException);
    expect(IdempotencyService.checkKey('a1b2-C3_d4')).toBe('a1b2-C3_d4');
    const key = uniq('old');
    await sut.run({ scope: 'test:9', key, fingerprint: 1 }, async () => ({ status: 200, body: 1 }));
    await api.dataSource.query(
      `UPDATE idempotency_record SET created_at = now() - interval '30 days' WHERE key = $1`,
      [key],
    );
    expect(await sut.purge(new Date(Date.now() - 7 * 86400_000))).toBeGreaterThanOrEqual(1);
    expect(await api.dataSource.query(`SELECT 1 FROM idempotency_record WHERE key = $1`, [key])).toHaveLength(
      0,
    );
  });
});
