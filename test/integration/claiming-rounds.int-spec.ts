import { SoldOutBoard } from '@jinli/claiming';
import { BatchService } from '@jinli/issuing';
import { batchCounts, bulkCitizens, claimAll, Factories, HOUR, TestApi } from '@jinli/testing';

const claimUrl = (batchId: number) => `/api/v1/claiming/batches/${batchId}/claim`;

describe('claim rounds', () => {
  let api: TestApi;
  let f: Factories;
  beforeAll(async () => {
    api = await TestApi.start({
      now: '2020-07-04T01:00:00Z',
      env: { CLAIM_RATE_PER_IP: '1000000' },
    });
    f = await new Factories(api).init();
  });
  afterAll(() => api.close());

  it('refuses a claim before the round opens, with the server time and the opening time', async () => {
    const opensAt = new Date(api.clock.nowMs() + HOUR);
    const batch = await f.batch({ quota: 5, rounds: [{ opensAt, quota: 5 }] });
    const citizen = await f.citizen();

    const early = await api.request('POST', claimUrl(batch.id), { token: citizen.token });

    expect(early.status).toBe(409);
    expect(early.body).toEqual({
      code: 'CLAIM_ROUND_NOT_OPEN',
      message: expect.any(String),
      details: { serverTime: api.clock.now().toISOString(), opensAt: opensAt.toISOString() },
    });
    expect((await batchCounts(api, batch.id)).vouchers).toBe(0);

    api.clock.set(opensAt);
    const onTime = await api.request('POST', claimUrl(batch.id), { token: citizen.token });
    expect(onTime.status).toBe(201);
    api.clock.set('2020-07-04T01:00:00Z');
  });

  it('rolls quota left in a round into the next one', async () => {
    const now = api.clock.nowMs();
    const batch = await f.batch({
      quota: 10,
      rollOverUnclaimed: true,
      rounds: [
        { opensAt: new Date(now - HOUR), quota: 4 },
        { opensAt: new Date(now + HOUR), quota: 6 },
      ],
    });
    const first = await bulkCitizens(api, 3);
    expect(
      (
        await claimAll(
          api,
          batch.id,
          first.map((c) => c.token),
        )
      ).counts,
    ).toEqual({ claimed: 3 });

    api.clock.set(now + HOUR);
    const second = await bulkCitizens(api, 9);
    const { counts } = await claimAll(
      api,
      batch.id,
      second.map((c) => c.token),
    );

    // Round 2 gives its own 6 plus the 1 round 1 left: the batch's 10 in all.
    expect(counts).toEqual({ claimed: 7, CLAIM_BATCH_SOLD_OUT: 2 });
    const rounds = await api.dataSource.query(
      'SELECT seq, quota, carried_in, carried_out, issued_count FROM claim_round WHERE batch_id = $1 ORDER BY seq',
      [batch.id],
    );
    expect(rounds).toEqual([
      { seq: 1, quota: 4, carried_in: 0, carried_out: 1, issued_count: 3 },
      { seq: 2, quota: 6, carried_in: 1, carried_out: 0, issued_count: 7 },
    ]);
    api.clock.set('2020-07-04T01:00:00Z');
  });

  it('lends a roll-over round the quota others left in PostgreSQL, whatever order concurrent inserts commit in', async () => {
    // Two inserts of one round, as two writer connections send them: the one whose claims the gate
    // counted past the round's own quota (borrowed) may commit first. The counting trigger makes the
    // room for whichever statement needs it, from the committed counts.
    const now = api.clock.nowMs();
    const rounds = [
      { opensAt: new Date(now - 2 * HOUR), quota: 4 },
      { opensAt: new Date(now - HOUR), quota: 3 },
    ];
    const rolling = await f.batch({ quota: 7, rollOverUnclaimed: true, rounds });
    const apart = await f.batch({ quota: 7, rollOverUnclaimed: false, rounds });
    const citizens = await bulkCitizens(api, 4);
    const insert = async (batchId: number, who: typeof citizens) => {
      const [{ id: roundId }] = (await api.dataSource.query(
        'SELECT id FROM claim_round WHERE batch_id = $1 AND seq = 2',
        [batchId],
      )) as { id: number }[];
      await api.dataSource.query(
        `INSERT INTO voucher (batch_id, round_id, citizen_id, slot, claimed_at, valid_from, valid_until)
         SELECT $1, $2, c, 1, $4, $4, $5 FROM unnest($3::int[]) AS c`,
        [batchId, roundId, who.map((c) => c.id), new Date(now), new Date(now + 24 * HOUR)],
      );
    };
    const roundsOf = (batchId: number) =>
      api.dataSource.query(
        'SELECT seq, carried_in, carried_out, issued_count FROM claim_round WHERE batch_id = $1 ORDER BY seq',
        [batchId],
      );

    for (const batch of [rolling, apart]) {
      // The borrowed claims' insert commits first and needs no room yet (2 of 3)...
      await insert(batch.id, citizens.slice(0, 2));
    }
    // ...then the earlier insert of two more takes the round to 4: one unit comes from round 1.
    await insert(rolling.id, citizens.slice(2, 4));
    expect(await roundsOf(rolling.id)).toEqual([
      { seq: 1, carried_in: 0, carried_out: 1, issued_count: 0 },
      { seq: 2, carried_in: 1, carried_out: 0, issued_count: 4 },
    ]);

    // Without roll-over the same insert is refused and changes nothing.
    await expect(insert(apart.id, citizens.slice(2, 4))).rejects.toMatchObject({
      constraint: 'ck_claim_round_issued_within_quota',
    });
    expect(await roundsOf(apart.id)).toEqual([
      { seq: 1, carried_in: 0, carried_out: 0, issued_count: 0 },
      { seq: 2, carried_in: 0, carried_out: 0, issued_count: 2 },
    ]);
  });

  it('keeps rounds apart when the batch does not roll over, and says when the next round opens', async () => {
    const now = api.clock.nowMs();
    const batch = await f.batch({
      quota: 10,
      rollOverUnclaimed: false,
      rounds: [
        { opensAt: new Date(now - HOUR), quota: 2 },
        { opensAt: new Date(now + HOUR), quota: 3 },
      ],
    });
    const first = await bulkCitizens(api, 4);
    const r1 = await claimAll(
      api,
      batch.id,
      first.map((c) => c.token),
    );
    expect(r1.counts).toEqual({ claimed: 2, CLAIM_ROUND_SOLD_OUT: 2 });
    const soldOut = r1.results.find((r) => r.status === 409)!;
    expect(soldOut.body.details).toEqual({
      serverTime: new Date(now).toISOString(),
      round: 1,
      nextRoundOpensAt: new Date(now + HOUR).toISOString(),
    });

    api.clock.set(now + HOUR);
    const second = await bulkCitizens(api, 5);
    const r2 = await claimAll(
      api,
      batch.id,
      second.map((c) => c.token),
    );
    expect(r2.counts).toEqual({ claimed: 3, CLAIM_ROUND_SOLD_OUT: 2 });
    expect((await batchCounts(api, batch.id)).vouchers).toBe(5);
    api.clock.set('2020-07-04T01:00:00Z');
  });

  it('answers sold out from memory without looking at the token, until the next round opens', async () => {
    const now = api.clock.nowMs();
    const batch = await f.batch({
      quota: 3,
      rounds: [
        { opensAt: new Date(now - HOUR), quota: 1 },
        { opensAt: new Date(now + HOUR), quota: 2 },
      ],
    });
    const [a, b] = await bulkCitizens(api, 2);
    expect((await api.request('POST', claimUrl(batch.id), { token: a.token })).status).toBe(201);

    // No token at all: still the sold-out answer (the fast path never reads it).
    const fast = await api.request('POST', claimUrl(batch.id));
    expect(fast.status).toBe(409);
    expect(fast.body.code).toBe('CLAIM_ROUND_SOLD_OUT');
    expect(fast.body.details.nextRoundOpensAt).toBe(new Date(now + HOUR).toISOString());
    // Answered at the front door, before the body is even parsed (claimFastPath).
    const unparsed = await api.request('POST', claimUrl(batch.id), { raw: '{not json' });
    expect(unparsed.status).toBe(409);
    expect(unparsed.body.code).toBe('CLAIM_ROUND_SOLD_OUT');

    api.clock.set(now + HOUR);
    // The flag expired with the round: without a token the claim is now refused for the token.
    expect((await api.request('POST', claimUrl(batch.id))).status).toBe(401);
    expect((await api.request('POST', claimUrl(batch.id), { token: b.token })).status).toBe(201);
    api.clock.set('2020-07-04T01:00:00Z');
  });

  it('refuses citizens who are not verified when the batch requires it', async () => {
    const batch = await f.batch({
      quota: 5,
      requiresVerified: true,
      rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 5 }],
    });
    const plain = await f.citizen();
    const verified = await f.citizen({ verified: true });

    const refused = await api.request('POST', claimUrl(batch.id), { token: plain.token });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'CLAIM_NOT_ELIGIBLE', details: { reason: 'not_verified' } });
    expect((await api.request('POST', claimUrl(batch.id), { token: verified.token })).status).toBe(201);
  });

  it('stops claims as soon as the operator pauses the batch, and resumes them', async () => {
    const batch = await f.batch({
      quota: 5,
      rounds: [{ opensAt: new Date(api.clock.nowMs() - HOUR), quota: 5 }],
    });
    const [a, b] = await bulkCitizens(api, 2);
    expect((await api.request('POST', claimUrl(batch.id), { token: a.token })).status).toBe(201);

    await api.get(BatchService).transition(f.operator, batch.id, 'pause');
    const paused = await api.request('POST', claimUrl(batch.id), { token: b.token });
    expect(paused.status).toBe(403);
    expect(paused.body).toMatchObject({ code: 'CLAIM_NOT_ELIGIBLE', details: { reason: 'batch_paused' } });

    await api.get(BatchService).transition(f.operator, batch.id, 'resume');
    expect((await api.request('POST', claimUrl(batch.id), { token: b.token })).status).toBe(201);
  });

  it('gives a fixed-validity batch its own window, and refuses claims once it is over', async () => {
    const now = api.clock.nowMs();
    const batch = await f.batch({
      quota: 5,
      validity: { kind: 'fixed', from: new Date(now - 2 * HOUR), until: new Date(now + 2 * HOUR) },
      rounds: [{ opensAt: new Date(now - HOUR), quota: 5 }],
    });
    const [a, b] = await bulkCitizens(api, 2);
    const ok = await api.request('POST', claimUrl(batch.id), { token: a.token });
    expect(ok.body).toMatchObject({
      validFrom: new Date(now - 2 * HOUR).toISOString(),
      validUntil: new Date(now + 2 * HOUR).toISOString(),
    });
    api.clock.set(now + 3 * HOUR);
    const late = await api.request('POST', claimUrl(batch.id), { token: b.token });
    expect(late.body).toMatchObject({ code: 'CLAIM_NOT_ELIGIBLE', details: { reason: 'validity_over' } });
    api.clock.set('2020-07-04T01:00:00Z');
  });
});

describe('the sold-out board', () => {
  let api: TestApi;
  beforeAll(async () => {
    // Flags are old at once: every answer would need a re-check.
    api = await TestApi.start({ env: { CLAIM_SOLDOUT_TTL_MS: '0' } });
  });
  afterAll(() => api.close());

  it('lets one request re-check an old flag while the others keep answering from memory', async () => {
    const board = api.get(SoldOutBoard);
    board.mark(424242, { kind: 'batch', round: null, untilMs: null, nextRoundOpensAt: null });
    await new Promise((r) => setTimeout(r, 5));

    expect(board.answer(424242)).toBeUndefined();
    expect(board.answer(424242)?.body.code).toBe('CLAIM_BATCH_SOLD_OUT');
    expect(board.answer(424242)?.status).toBe(410);

    // The re-check found vouchers: the flag is gone for everyone in this process.
    board.forget(424242);
    expect(board.answer(424242)).toBeUndefined();
  });

  it('spreads a sold-out flag to other processes over Redis pub/sub, and its withdrawal', async () => {
    const other = await TestApi.start();
    try {
      const flag = { kind: 'round' as const, round: 1, untilMs: null, nextRoundOpensAt: null };
      api.get(SoldOutBoard).mark(515151, flag);
      const otherBoard = other.get(SoldOutBoard);
      for (let i = 0; i < 100 && !otherBoard.answer(515151); i++) await new Promise((r) => setTimeout(r, 10));
      expect(otherBoard.answer(515151)?.body.code).toBe('CLAIM_ROUND_SOLD_OUT');

      api.get(SoldOutBoard).clear(515151);
      for (let i = 0; i < 100 && otherBoard.answer(515151); i++) await new Promise((r) => setTimeout(r, 10));
      expect(otherBoard.answer(515151)).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});
