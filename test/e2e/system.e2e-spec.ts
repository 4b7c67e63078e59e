import { TestApi } from '@jinli/testing';

describe('system routes', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(() => api.close());

  it('reports PostgreSQL and Redis up on /health', async () => {
    const res = await api.request('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.info.postgres.status).toBe('up');
    expect(res.body.info.redis.status).toBe('up');
  });

  it('serves Prometheus metrics', async () => {
    await api.request('GET', '/health/live');
    const res = await api.request('GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.body).toContain('jinli_http_request_duration_seconds');
    expect(res.body).toContain('process_cpu_user_seconds_total');
  });

  it('asks for the scrape token on /metrics when METRICS_TOKEN is set', async () => {
    const guarded = await TestApi.start({ env: { METRICS_TOKEN: 'scrape-token-0123456789' } });
    try {
      const none = await guarded.request('GET', '/metrics');
      expect(none.status).toBe(401);
      expect(none.body.code).toBe('UNAUTHENTICATED');
      const wrong = await guarded.request('GET', '/metrics', { token: 'scrape-token-0123456788' });
      expect(wrong.status).toBe(401);
      const right = await guarded.request('GET', '/metrics', { token: 'scrape-token-0123456789' });
      expect(right.status).toBe(200);
      expect(right.body).toContain('jinli_http_request_duration_seconds');
    } finally {
      await guarded.close();
    }
  });

  it('answers an unknown route with the one error body', async () => {
    const res = await api.request('GET', '/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 'NOT_FOUND', message: expect.any(String) });
  });

  it('tells the time of the injected clock, so tests move time without sleeping', async () => {
    api.clock.set('2020-07-25T09:59:58+08:00');
    expect((await api.request('GET', '/api/v1/time')).body).toEqual({ now: '2020-07-25T01:59:58.000Z' });
    api.clock.advance(2000);
    expect((await api.request('GET', '/api/v1/time')).body).toEqual({ now: '2020-07-25T02:00:00.000Z' });
  });

  it('echoes a request id', async () => {
    const res = await api.request('GET', '/health/live', { headers: { 'x-request-id': 'req-123' } });
    expect(res.headers['x-request-id']).toBe('req-123');
  });

  it('publishes OpenAPI with the issuing and auth routes', async () => {
    const res = await api.request('GET', '/docs-json');
    expect(res.status).toBe(200);
    const paths = Object.keys(res.body.paths);
    for (const p of [
      '/api/v1/auth/staff/sign-in',
      '/api/v1/auth/citizen/code',
      '/api/v1/funders',
      '/api/v1/campaigns/{id}/batches',
      '/api/v1/merchants/{id}/approve',
    ]) {
      expect(paths).toContain(p);
    }
    const ui = await api.request('GET', '/docs');
    expect(ui.status).toBe(200);
  });
});
