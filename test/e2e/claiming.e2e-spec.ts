import { DAY, Factories, HOUR, TestApi } from '@jinli/testing';

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
    const res = await api.request('POST', `/api/v1/claiming/batches/${batch.id}/claim`, {
      token: citizen.token,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      batchId: batch.id,
      slot: 1,
      round: 1,
      status: 'claimed',
      claimedAt: '2020-07-04T01:00:00.000Z',
      validFrom: '2020-07-04T01:00:00.000Z',
      validUntil: new Date(api.clock.nowMs() + 7 * DAY).toISOString(),
    });
    const [row] = await api.dataSource.query('SELECT citizen_id, slot FROM voucher WHERE id = $1', [
      res.body.id,
    ]);
    expect(row).toEqual({ citizen_id: citizen.id, slot: 1 });

    const again = await api.request('POST', `/api/v1/claiming/batches/${batch.id}/claim`, {
      token: citizen.token,
    });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'CLAIM_LIMIT_REACHED', details: { limit: 1 } });
  });
});
