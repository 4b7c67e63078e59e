import { Role } from '@jinli/contracts';
import { ClaimWriter } from '@jinli/claiming';
import { DAY, Factories, HOUR, TestApi } from '@jinli/testing';

const claimUrl = (batchId: number) => `/api/v1/claiming/batches/${batchId}/claim`;

describe('claim writer', () => {
  it('has its connections open and warm before the first claim', async () => {
    const api = await TestApi.start();
    try {
      const pool = (api.dataSource.driver as unknown as { master: { totalCount: number } }).master;
      expect(pool.totalCount).toBeGreaterThanOrEqual(api.config.claiming.writerConcurrency);
      // Warming runs the real insert with no rows: nothing is written or counted.
      const totals = () =>
        api.dataSource.query(
          'SELECT (SELECT count(*)::int FROM voucher) AS vouchers, (SELECT coalesce(sum(issued_count), 0)::int FROM voucher_batch) AS issued',
        );
      const before = await totals();
      await api.get(ClaimWriter).warm();
      expect(await totals()).toEqual(before);
    } finally {
      await api.close();
    }
  });

  it('stores the exact instants it answers, to the millisecond', async () => {
    const api = await TestApi.start({ now: '2020-07-04T01:00:00.123Z' });
    try {
      const f = await new Factories(api).init();
      const batch = await f.batch({
        quota: 10,
        rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 10 }],
      });
      const citizen = await f.citizen();
      api.clock.advance(876);
      const res = await api.request('POST', claimUrl(batch.id), { token: citizen.token });
      expect(res.status).toBe(201);
      expect(res.body.claimedAt).toBe('2020-07-04T01:00:00.999Z');
      const [row] = await api.dataSource.query(
        `SELECT to_char(claimed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS claimed_at,
                to_char(valid_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS valid_until
           FROM voucher WHERE id = $1`,
        [res.body.id],
      );
      expect(row).toEqual({
        claimed_at: '2020-07-04T01:00:00.999000',
        valid_until: res.body.validUntil.replace('Z', '000'),
      });
    } finally {
      await api.close();
    }
  });
});

describe('claiming routes', () => {
  let api: TestApi;
  let f: Factories;
  beforeAll(async () => {
    api = await TestApi.start({ now: '2020-07-04T01:00:00Z' });
    f = await new Factories(api).init();
  });
  afterAll(() => api.close());

  it('claims a voucher: 201 with the committed voucher, then the limit', async () => {
    const batch = await f.batch({
      quota: 10,
      rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 10 }],
    });
    const citizen = await f.citizen();
    const res = await api.request('POST', claimUrl(batch.id), { token: citizen.token });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(Number),
      batchId: batch.id,
      roundId: batch.rounds[0].id,
      round: 1,
      slot: 1,
      status: 'claimed',
      claimedAt: '2020-07-04T01:00:00.000Z',
      validFrom: '2020-07-04T01:00:00.000Z',
      validUntil: new Date(api.clock.nowMs() + 7 * DAY).toISOString(),
    });
    const [row] = await api.dataSource.query(
      'SELECT citizen_id, slot, status, claimed_at, valid_from, valid_until FROM voucher WHERE id = $1',
      [res.body.id],
    );
    expect(row).toEqual({
      citizen_id: citizen.id,
      slot: 1,
      status: 'claimed',
      claimed_at: new Date(res.body.claimedAt),
      valid_from: new Date(res.body.validFrom),
      valid_until: new Date(res.body.validUntil),
    });

    const again = await api.request('POST', claimUrl(batch.id), { token: citizen.token });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'CLAIM_LIMIT_REACHED', details: { limit: 1 } });
  });

  it('needs a citizen token, refuses staff tokens, bad ids and unknown batches', async () => {
    const batch = await f.batch({
      quota: 10,
      rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 10 }],
    });
    expect((await api.request('POST', claimUrl(batch.id))).body.code).toBe('UNAUTHENTICATED');
    expect((await api.request('POST', claimUrl(batch.id), { token: 'not-a-token' })).body.code).toBe(
      'AUTH_TOKEN_INVALID',
    );
    const staff = await api.request('POST', claimUrl(batch.id), { token: f.operatorToken });
    expect(staff.status).toBe(403);
    expect(staff.body.code).toBe('AUTH_ROLE_FORBIDDEN');
    const citizen = await f.citizen();
    expect(
      (await api.request('POST', '/api/v1/claiming/batches/abc/claim', { token: citizen.token })).status,
    ).toBe(400);
    // Past the fast path's id range: Nest's route and its pipe answer.
    const huge = await api.request('POST', claimUrl(2_147_483_648), { token: citizen.token });
    expect(huge.status).toBe(400);
    const missing = await api.request('POST', claimUrl(999_999), { token: citizen.token });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('BATCH_NOT_FOUND');
  });

  it('answers claims at the front door: a body is never read, the request id still comes back', async () => {
    const batch = await f.batch({
      quota: 10,
      rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 10 }],
    });
    const citizen = await f.citizen();
    // Any other route refuses a text/plain body with 415 before its handler runs.
    const elsewhere = await api.request('POST', '/api/v1/auth/staff/sign-in', {
      raw: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    expect(elsewhere.status).toBe(415);
    const res = await api.request('POST', claimUrl(batch.id), {
      token: citizen.token,
      raw: 'hello',
      headers: { 'content-type': 'text/plain', 'x-request-id': 'drop-0001' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ batchId: batch.id, status: 'claimed' });
    expect(res.headers['x-request-id']).toBe('drop-0001');
  });

  it('rate-limits a citizen pressing too often and an address sending too much, with Retry-After', async () => {
    const limited = await TestApi.start({
      now: api.clock.now(),
      env: { CLAIM_RATE_PER_CITIZEN: '3', CLAIM_RATE_PER_IP: '4' },
    });
    try {
      const lf = await new Factories(limited).init();
      const batch = await lf.batch({
        quota: 10,
        rounds: [{ opensAt: new Date(limited.clock.nowMs() - HOUR), quota: 10 }],
      });
      const citizen = await lf.citizen();
      const codes: string[] = [];
      let last;
      for (let i = 0; i < 5; i++) {
        last = await limited.request('POST', claimUrl(batch.id), { token: citizen.token });
        codes.push(last.status === 201 ? 'claimed' : last.body.code);
      }
      expect(codes).toEqual([
        'claimed',
        'CLAIM_LIMIT_REACHED',
        'CLAIM_LIMIT_REACHED',
        'RATE_LIMITED',
        'RATE_LIMITED',
      ]);
      expect(last!.status).toBe(429);
      expect(Number(last!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Three attempts counted so far for this address (the citizen limit stopped two first).
      const [a, b] = [await lf.citizen(), await lf.citizen()];
      expect((await limited.request('POST', claimUrl(batch.id), { token: a.token })).status).toBe(201);
      const fromSameIp = await limited.request('POST', claimUrl(batch.id), { token: b.token });
      expect(fromSameIp.status).toBe(429);
      const other = await limited.request('POST', claimUrl(batch.id), {
        token: b.token,
        headers: { 'x-forwarded-for': '203.0.113.9' },
      });
      expect(other.status).toBe(201);
    } finally {
      await limited.close();
    }
  });

  it('shows the catalogue with rules, rounds, live state, what I hold and the server time', async () => {
    const now = api.clock.nowMs();
    const campaign = await f.campaign();
    const batch = await f.batch({
      campaignId: campaign.id,
      quota: 5,
      perCitizenLimit: 2,
      allowedCategories: ['catering'],
      usageWindows: [{ start: '20:30', end: '02:00' }],
      rounds: [
        { opensAt: new Date(now - HOUR), quota: 2 },
        { opensAt: new Date(now + HOUR), quota: 3 },
      ],
    });
    const citizen = await f.citizen();
    await api.request('POST', claimUrl(batch.id), { token: citizen.token });

    const anonymous = await api.request('GET', '/api/v1/claiming/campaigns');
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.serverTime).toBe(new Date(now).toISOString());
    const mine = await api.request('GET', '/api/v1/claiming/campaigns', { token: citizen.token });
    const c = mine.body.campaigns.find((x: { id: number }) => x.id === campaign.id);
    expect(c.batches).toHaveLength(1);
    expect(c.batches[0]).toMatchObject({
      id: batch.id,
      faceValueFen: 3000,
      thresholdFen: 10000,
      allowedCategories: ['catering'],
      usageWindows: [{ start: '20:30', end: '02:00' }],
      validity: { kind: 'relative', days: 7 },
      perCitizenLimit: 2,
      held: 1,
      live: {
        phase: 'open',
        currentRound: 1,
        left: 1,
        batchLeft: 4,
        opensAt: new Date(now + HOUR).toISOString(),
      },
      rounds: [
        { seq: 1, state: 'open', left: 1, quota: 2, endsAt: new Date(now + HOUR).toISOString() },
        { seq: 2, state: 'upcoming', left: null, quota: 3 },
      ],
    });
    expect(
      anonymous.body.campaigns.find((x: { id: number }) => x.id === campaign.id).batches[0].held,
    ).toBeNull();

    const one = await api.request('GET', `/api/v1/claiming/batches/${batch.id}`, { token: citizen.token });
    expect(one.body.batch).toMatchObject({ id: batch.id, held: 1, live: { phase: 'open' } });
  });

  it('gives operators a live view from the counters, and reconciliation on demand', async () => {
    const batch = await f.batch({
      quota: 3,
      rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 3 }],
    });
    for (let i = 0; i < 3; i++) {
      const c = await f.citizen();
      await api.request('POST', claimUrl(batch.id), { token: c.token });
    }
    api.clock.advance(1000);
    const live = await api.request('GET', `/api/v1/claiming/batches/${batch.id}/live`, {
      token: f.operatorToken,
    });
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({
      batchId: batch.id,
      phase: 'sold_out',
      quota: 3,
      claimed: 3,
      left: 0,
      inFlight: 0,
      claimsPerSecond: { last: 3 },
      rounds: [{ seq: 1, quota: 3, capacity: 3, claimed: 3, state: 'open', left: 0 }],
    });
    expect(live.body.claimsPerSecond.series).toHaveLength(60);

    const citizen = await f.citizen();
    expect(
      (await api.request('GET', `/api/v1/claiming/batches/${batch.id}/live`, { token: citizen.token }))
        .status,
    ).toBe(403);

    const rec = await api.request('POST', '/api/v1/claiming/reconcile', {
      token: f.operatorToken,
      body: { batchId: batch.id, rebuild: true },
    });
    expect(rec.status).toBe(200);
    expect(rec.body).toEqual({
      batches: 1,
      rebuilt: [batch.id],
      confirmed: 0,
      released: 0,
      drifted: [],
      refreshed: [],
      unfinished: [],
    });
    const bad = await api.request('POST', '/api/v1/claiming/reconcile', {
      token: f.operatorToken,
      body: { batchId: '7' },
    });
    expect(bad.status).toBe(400);
    const missing = await api.request('POST', '/api/v1/claiming/reconcile', {
      token: f.operatorToken,
      body: { batchId: 999_999 },
    });
    expect(missing.status).toBe(404);
    const [audit] = await api.dataSource.query(
      `SELECT actor_id, action FROM audit_log WHERE action = 'claiming.reconcile' ORDER BY id DESC LIMIT 1`,
    );
    expect(audit).toEqual({ actor_id: f.operator.id, action: 'claiming.reconcile' });
    api.clock.set('2020-07-04T01:00:00Z');
  });

  it('says hello, and keeps the benchmark-only naive route unmounted by default', async () => {
    expect((await api.request('GET', '/api/v1/claiming/hello')).body).toEqual({ hello: 'jinli' });
    const citizen = f.token({ id: 1, role: Role.Citizen });
    expect(
      (await api.request('POST', '/api/v1/claiming/bench/batches/1/naive-claim', { token: citizen })).status,
    ).toBe(404);
    const doc = await api.request('GET', '/docs-json');
    const paths = Object.keys(doc.body.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v1/claiming/batches/{id}/claim',
        '/api/v1/claiming/campaigns',
        '/api/v1/claiming/batches/{id}/live',
        '/api/v1/claiming/reconcile',
      ]),
    );
  });
});
