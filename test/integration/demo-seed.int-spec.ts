import { DataSource } from 'typeorm';
import {
  BatchService,
  CampaignService,
  checkAmounts,
  checkBudget,
  checkRounds,
  FunderService,
} from '@jinli/issuing';
import { loadConfig } from '@jinli/platform';
import { TestApi } from '@jinli/testing';
import { createDataSource } from '@jinli/db/data-source';
import { migrate } from '@jinli/db/migrate';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, isEmpty, seedSuzhouDemo } from '@jinli/db/seeds/suzhou-demo';
import { databaseName, databaseUrl } from '../setup/test-databases';

/** The demo data of `npm start`, loaded into a database of its own and held to the issuing rules. */
describe('Suzhou demo seed', () => {
  const name = databaseName('seed');
  const url = databaseUrl(name);
  const now = new Date('2020-07-04T09:30:00+08:00');
  const admin = new DataSource({ type: 'postgres', url: databaseUrl('postgres') });
  let ds: DataSource;
  let api: TestApi;

  beforeAll(async () => {
    await admin.initialize();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    const config = loadConfig({ ...process.env, DATABASE_URL: url });
    await migrate(config);
    ds = createDataSource(config);
    await ds.initialize();
  });
  afterAll(async () => {
    await api?.close();
    await ds?.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.destroy();
  });

  it('fills an empty database', async () => {
    expect(await isEmpty(ds)).toBe(true);
    const summary = await seedSuzhouDemo(ds, now);
    expect(summary).toMatchObject({ funders: 8, campaigns: 6, batches: 8, merchants: 300 });
    expect(summary.stores).toBeGreaterThanOrEqual(300);
    expect(summary.cashiers).toBeGreaterThan(200);
    expect(await isEmpty(ds)).toBe(false);
    const districts = (await ds.query(`SELECT name FROM district ORDER BY code`)) as { name: string }[];
    expect(districts).toHaveLength(10);
    api = await TestApi.start({ now, env: { DATABASE_URL: url } });
  });

  it('obeys the issuing rules the services enforce', async () => {
    const campaigns = await api.get(CampaignService).list();
    const opens: number[] = [];
    expect(campaigns.map((c) => c.name)).toEqual(
      expect.arrayContaining(['姑苏八点半 夜经济消费券', '乐享美食季', '张家港“美好2020”消费券']),
    );
    for (const c of campaigns) {
      expect(c.status).toBe('published');
      expect(c.funders.reduce((s, f) => s + f.shareBp, 0)).toBe(10_000);
      // Whole Suzhou days.
      expect(new Date(c.startsAt).getUTCHours()).toBe(16);
      expect(new Date(c.endsAt).getUTCHours()).toBe(16);
      const batches = await api.get(BatchService).listForCampaign(c.id);
      expect(batches.length).toBeGreaterThan(0);
      let others = 0;
      for (const b of batches) {
        expect(b.status).toBe('published');
        checkAmounts(b.faceValueFen, b.thresholdFen);
        checkRounds(
          b.rounds.map((r) => ({
            opensAt: new Date(r.opensAt),
            closesAt: r.closesAt ? new Date(r.closesAt) : null,
            quota: r.quota,
          })),
          b.quota,
          { startsAt: new Date(c.startsAt), endsAt: new Date(c.endsAt) },
        );
        checkBudget(c.budgetFen, others, b.quota, b.faceValueFen);
        others += b.quota * b.faceValueFen;
        for (const r of b.rounds) opens.push(new Date(r.opensAt).getTime() - now.getTime());
      }
    }
    // Some rounds are open, so the demo can claim at once; some open at the next 10:00 (a countdown).
    expect(opens.some((ms) => ms <= 0)).toBe(true);
    expect(opens.some((ms) => ms > 0 && ms <= 24 * 3600_000)).toBe(true);
    for (const f of await api.get(FunderService).list()) {
      expect(f.status).toBe('published');
      expect(f.allocatedFen).toBeLessThanOrEqual(f.budgetFen);
    }
  });

  it('signs in every demo account with the printed password, and shows the operator the demo data', async () => {
    for (const a of DEMO_ACCOUNTS) {
      const res = await api.request('POST', '/api/v1/auth/staff/sign-in', {
        body: { username: a.username, password: DEMO_PASSWORD },
      });
      expect({ username: a.username, status: res.status, role: res.body.staff?.role }).toEqual({
        username: a.username,
        status: 200,
        role: a.role,
      });
    }
    const op = await api.request('POST', '/api/v1/auth/staff/sign-in', {
      body: { username: 'operator', password: DEMO_PASSWORD },
    });
    const token = op.body.accessToken as string;
    expect((await api.request('GET', '/api/v1/campaigns', { token })).body).toHaveLength(6);
    const pending = await api.request('GET', '/api/v1/merchants?status=pending', { token });
    expect(pending.body.total).toBeGreaterThan(0);
    const cashier = await api.request('POST', '/api/v1/auth/staff/sign-in', {
      body: { username: 'songhelou-cashier', password: DEMO_PASSWORD },
    });
    const mine = await api.request('GET', '/api/v1/my/merchant', { token: cashier.body.accessToken });
    expect(mine.body).toMatchObject({ name: '松鹤楼', status: 'approved' });
  });
});
