import { Role } from '@jinli/contracts';
import { AuditService } from '@jinli/platform';
import { Factories, TestApi, uniq } from '@jinli/testing';

describe('audit log (read-only, auditors and operators)', () => {
  let api: TestApi;
  let f: Factories;
  let auditorToken: string;
  const entity = uniq('thing')
    .replace(/[^a-z0-9_]/gi, '')
    .toLowerCase()
    .slice(0, 40);

  beforeAll(async () => {
    api = await TestApi.start();
    f = await new Factories(api).init();
    const [row] = (await api.dataSource.query(
      `INSERT INTO staff_account (username, password_hash, role, display_name) VALUES ($1, 'x', 'auditor', '审计 测试') RETURNING id`,
      [uniq('aud')],
    )) as { id: number }[];
    auditorToken = f.token({ id: row.id, role: Role.Auditor });
    const audit = api.get(AuditService);
    const citizen = await f.citizen();
    for (let i = 1; i <= 5; i++) {
      await audit.record({
        actor: f.operator,
        action: `${entity}.update`,
        entityType: entity,
        entityId: i,
        details: { note: `call 13912345678 about #${i}`, nested: { phone: '13800001111' } },
      });
    }
    await audit.record({
      actor: citizen.actor,
      action: `${entity}.peek`,
      entityType: entity,
      entityId: 99,
      outcome: 'denied',
    });
  });
  afterAll(() => api.close());

  const list = (query: string, token = auditorToken) =>
    api.request('GET', `/api/v1/audit-log?${query}`, { token });

  it('lists newest first, filtered by action prefix, with phones masked and actors named', async () => {
    const res = await list(`action=${entity}.`);
    expect(res.status).toBe(200);
    expect(res.body.items.map((e: { action: string }) => e.action)).toEqual([
      `${entity}.peek`,
      ...Array(5).fill(`${entity}.update`),
    ]);
    const ids = res.body.items.map((e: { id: number }) => e.id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain('13912345678');
    expect(text).not.toContain('13800001111');
    expect(text).toContain('139****5678');
    expect(res.body.items[1].actorName).toBe('Test operator');
    expect(res.body.items[0].actorRole).toBe('citizen');
    expect(res.body.items[0].actorName).toMatch(/^1\d{2}\*{4}\d{4}$/);
  });

  it('filters by exact action, entity and outcome', async () => {
    expect((await list(`action=${entity}.update&entityType=${entity}&entityId=3`)).body.items).toHaveLength(
      1,
    );
    const denied = await list(`entityType=${entity}&outcome=denied`);
    expect(denied.body.items).toHaveLength(1);
    expect(denied.body.items[0].entityId).toBe('99');
    expect((await list(`action=${entity}.upd`)).body.items).toHaveLength(0);
  });

  it('pages with beforeId', async () => {
    const first = await list(`entityType=${entity}&limit=4`);
    expect(first.body.items).toHaveLength(4);
    expect(first.body.nextBeforeId).toBe(first.body.items[3].id);
    const second = await list(`entityType=${entity}&limit=4&beforeId=${first.body.nextBeforeId}`);
    expect(second.body.items).toHaveLength(2);
    expect(second.body.nextBeforeId).toBeNull();
  });

  it('is for auditors and operators only', async () => {
    expect((await list(`entityType=${entity}`, f.operatorToken)).status).toBe(200);
    const financeToken = f.token({ id: 1, role: Role.Finance });
    expect((await list(`entityType=${entity}`, financeToken)).status).toBe(403);
    expect((await list(`entityType=${entity}`, (await f.citizen()).token)).status).toBe(403);
    expect((await api.request('GET', '/api/v1/audit-log')).status).toBe(401);
  });

  it('refuses bad filters with 400', async () => {
    for (const q of [
      'limit=abc',
      'limit=-1',
      'outcome=maybe',
      'action=DROP%20TABLE',
      'from=yesterday',
      'x=1',
    ]) {
      const res = await list(q);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
  });

  it('filters by time', async () => {
    const future = encodeURIComponent(new Date(Date.now() + 3600_000).toISOString());
    expect((await list(`entityType=${entity}&from=${future}`)).body.items).toHaveLength(0);
    expect((await list(`entityType=${entity}&until=${future}`)).body.items).toHaveLength(6);
  });
});
