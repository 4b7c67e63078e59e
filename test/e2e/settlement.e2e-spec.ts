import ExcelJS from 'exceljs';
import { Role } from '@jinli/contracts';
import { Actor } from '@jinli/platform';
import { OutboxProcessor, SETTLEMENT_CHECKS, SettlementRunService } from '@jinli/settlement';
import { Factories, MerchantFixture, SettlementFactories, TestApi } from '@jinli/testing';
import { runAudit } from '../../scripts/audit/registry';

const at = (day: string, time = '12:00') => new Date(`${day}T${time}:00+08:00`);

describe('settlement over HTTP', () => {
  let api: TestApi;
  let f: Factories;
  let sf: SettlementFactories;
  let starter: { actor: Actor; token: string };
  let reviewer: { actor: Actor; token: string };
  let merchants: MerchantFixture[];
  let runId: number;

  beforeAll(async () => {
    api = await TestApi.start({ now: at('2022-01-10', '09:00') });
    f = await new Factories(api).init();
    sf = new SettlementFactories(api, f);
    const batch = await f.batch({ faceValueFen: 3000, thresholdFen: 10000 });
    merchants = [await sf.merchant(), await sf.merchant()];
    for (const m of merchants)
      for (let i = 0; i < 3; i++) await sf.redeem({ batch, merchant: m, at: at('2022-01-10') });
    api.clock.set(at('2022-01-11', '00:40'));
    starter = await sf.finance();
    reviewer = await sf.finance();
    const started = await api.request('POST', '/api/v1/settlement/runs', {
      token: starter.token,
      body: { fromDay: '2022-01-10', toDay: '2022-01-10' },
    });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ kind: 'manual', status: 'running', startedBy: starter.actor.id });
    runId = started.body.id;
    // No worker in this file: settle the chunks in-process.
    await api.get(SettlementRunService).runNow(runId);
  });
  afterAll(() => api.close());

  /** Statements of the run for this file's merchants (other files share the database and runs cover all merchants). */
  const statementsOfRun = async (token = reviewer.token) => {
    const body = (
      await api.request('GET', `/api/v1/settlement/statements?runId=${runId}&limit=1000`, { token })
    ).body as {
      items: {
        id: number;
        merchantId: number;
        funderId: number;
        status: string;
        totalFen: number;
        lineCount: number;
        startedBy: number;
      }[];
    };
    const items = body.items.filter((s) => merchants.some((m) => m.merchantId === s.merchantId));
    return { items, total: items.length };
  };

  it('shows the run complete and its statements pending review', async () => {
    const run = await api.request('GET', `/api/v1/settlement/runs/${runId}`, { token: reviewer.token });
    expect(run.body).toMatchObject({ status: 'completed', chunksDone: run.body.chunkCount });
    const list = await statementsOfRun();
    expect(list.total).toBe(4);
    expect(list.items.reduce((n, s) => n + s.lineCount, 0)).toBe(12);
    expect(list.items.every((s) => s.status === 'pending_review' && s.startedBy === starter.actor.id)).toBe(
      true,
    );
    const lines = await api.request('GET', `/api/v1/settlement/statements/${list.items[0].id}/lines`, {
      token: reviewer.token,
    });
    expect(lines.body.items).toHaveLength(3);
    expect(lines.body.items[0]).toMatchObject({ kind: 'part', released: false, orderAmountFen: 10000 });
  });

  it('refuses a badly formed run or decision', async () => {
    const noDay = await api.request('POST', '/api/v1/settlement/runs', {
      token: starter.token,
      body: { fromDay: '2022-02-30', toDay: '2022-01-10' },
    });
    expect(noDay.status).toBe(400);
    expect(noDay.body.code).toBe('VALIDATION_FAILED');
    const [s] = (await statementsOfRun()).items;
    const noReason = await api.request('POST', `/api/v1/settlement/statements/${s.id}/reject`, {
      token: reviewer.token,
      body: {},
    });
    expect(noReason.status).toBe(400);
    const edit = await api.request('POST', `/api/v1/settlement/statements/${s.id}/approve`, {
      token: reviewer.token,
      body: { totalFen: 1 },
    });
    expect(edit.status).toBe(400);
  });

  it('enforces four eyes: the run’s starter cannot decide, in the API and in the database', async () => {
    const [s] = (await statementsOfRun()).items;
    const own = await api.request('POST', `/api/v1/settlement/statements/${s.id}/approve`, {
      token: starter.token,
    });
    expect(own.status).toBe(403);
    expect(own.body.code).toBe('STATEMENT_FOUR_EYES');
    const ownReject = await api.request('POST', `/api/v1/settlement/statements/${s.id}/hold`, {
      token: starter.token,
      body: { reason: '自己的结算单' },
    });
    expect(ownReject.body.code).toBe('STATEMENT_FOUR_EYES');
    await expect(
      api.dataSource.query(`UPDATE settlement_statement SET reviewed_by = started_by WHERE id = $1`, [s.id]),
    ).rejects.toMatchObject({ driverError: { constraint: 'ck_statement_four_eyes' } });
    const cashierToken = f.token({ id: 1, role: Role.Cashier, merchantId: s.merchantId, storeId: 1 });
    const cashier = await api.request('POST', `/api/v1/settlement/statements/${s.id}/approve`, {
      token: cashierToken,
    });
    expect(cashier.status).toBe(403);
  });

  it('lets a merchant owner read only its own statements', async () => {
    const owner = (await api.dataSource.query(
      `SELECT id FROM staff_account WHERE merchant_id = $1 AND role = 'merchant_owner'`,
      [merchants[0].merchantId],
    )) as { id: number }[];
    const token = f.token({ id: owner[0].id, role: Role.MerchantOwner, merchantId: merchants[0].merchantId });
    const mine = await api.request('GET', `/api/v1/settlement/statements?runId=${runId}`, { token });
    expect(mine.body.total).toBe(2);
    expect(
      mine.body.items.every((s: { merchantId: number }) => s.merchantId === merchants[0].merchantId),
    ).toBe(true);
    const other = (await statementsOfRun()).items.find((s) => s.merchantId === merchants[1].merchantId)!;
    const hidden = await api.request('GET', `/api/v1/settlement/statements/${other.id}`, { token });
    expect(hidden.status).toBe(404);
  });

  it('approves, pays out through CSV and XLSX bank files, marks paid, and keeps the books balanced', async () => {
    const ids = (await statementsOfRun()).items.map((s) => s.id);
    const approved = await api.request('POST', '/api/v1/settlement/statements/approve', {
      token: reviewer.token,
      body: { ids },
    });
    expect(approved.status).toBe(200);
    expect(approved.body.every((s: { status: string }) => s.status === 'approved')).toBe(true);
    const again = await api.request('POST', `/api/v1/settlement/statements/${ids[0]}/approve`, {
      token: reviewer.token,
    });
    expect(again.body.code).toBe('STATEMENT_INVALID_TRANSITION');

    const payout = await api.request('POST', '/api/v1/settlement/payouts', {
      token: reviewer.token,
      body: { statementIds: ids },
    });
    expect(payout.status).toBe(201);
    expect(payout.body).toMatchObject({ status: 'exported', totalFen: 6 * 3000, statementCount: 4 });
    const pid = payout.body.id;
    const csv = await api.request('GET', `/api/v1/settlement/payouts/${pid}/file.csv`, {
      token: reviewer.token,
    });
    expect(csv.status).toBe(200);
    expect(String(csv.headers['content-type'])).toContain('text/csv');
    const csvLines = (csv.body as string)
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(csvLines[0]).toBe('付款方,商户名称,收款户名,开户银行,收款账号,金额（元）,结算单号');
    expect(csvLines).toHaveLength(5);
    expect(
      csvLines
        .slice(1)
        .map((l) => l.split(',')[5])
        .sort(),
    ).toEqual(['27.00', '27.00', '63.00', '63.00']);

    const x = await api.app.inject({
      method: 'GET',
      url: `/api/v1/settlement/payouts/${pid}/file.xlsx`,
      headers: { authorization: `Bearer ${reviewer.token}` },
    });
    expect(x.statusCode).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(x.rawPayload as unknown as ArrayBuffer);
    const ws = book.worksheets[0];
    expect(ws.getCell(2, 5).value).toBe('6222021234567890123');
    expect(ws.getCell(6, 6).value).toBe('180.00');

    const empty = await api.request('POST', '/api/v1/settlement/payouts', {
      token: reviewer.token,
      body: { statementIds: ids },
    });
    expect(empty.body.code).toBe('PAYOUT_NOTHING_TO_PAY');

    // Four eyes: whoever created the payout does not confirm the bank paid it.
    const own = await api.request('POST', `/api/v1/settlement/payouts/${pid}/paid`, {
      token: reviewer.token,
      body: { bankReference: 'ICBC-20220112-0001' },
    });
    expect(own.status).toBe(403);
    expect(own.body.code).toBe('PAYOUT_FOUR_EYES');
    const paid = await api.request('POST', `/api/v1/settlement/payouts/${pid}/paid`, {
      token: starter.token,
      body: { bankReference: 'ICBC-20220112-0001' },
    });
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: 'paid', bankReference: 'ICBC-20220112-0001' });
    expect((await statementsOfRun()).items.every((s) => s.status === 'paid')).toBe(true);
    const twice = await api.request('POST', `/api/v1/settlement/payouts/${pid}/paid`, {
      token: starter.token,
      body: { bankReference: 'again' },
    });
    expect(twice.body.code).toBe('PAYOUT_ALREADY_PAID');

    await api.get(OutboxProcessor).drain();
    const auditor = await sf.staff('auditor');
    const balances = await api.request(
      'GET',
      `/api/v1/settlement/ledger/balances?merchantId=${merchants[0].merchantId}`,
      {
        token: auditor.token,
      },
    );
    const byAccount = (account: string) =>
      (balances.body as { account: string; balanceFen: number }[])
        .filter((b) => b.account === account)
        .reduce((s, b) => s + b.balanceFen, 0);
    expect(byAccount('bank')).toBe(-9000);
    expect(byAccount('funder_payable')).toBe(0);
    expect(byAccount('merchant_receivable')).toBe(0);
    // Other files share this database: audit this file's funders.
    const funders = (await api.dataSource.query(
      `SELECT DISTINCT funder_id AS id FROM settlement_statement WHERE id = ANY($1)`,
      [ids],
    )) as { id: number }[];
    expect(funders).toHaveLength(2);
    for (const funder of funders) {
      const audit = await api.request('GET', `/api/v1/settlement/audit?funderId=${funder.id}`, {
        token: auditor.token,
      });
      expect(audit.status).toBe(200);
      expect(audit.body).toHaveLength(9);
      for (const check of audit.body) expect(check).toMatchObject({ ok: true, problems: [] });
    }

    const trail = (await api.dataSource.query(
      `SELECT action, count(*)::int AS n FROM audit_log
        WHERE (entity_type = 'settlement_statement' AND entity_id = ANY($1)) OR (entity_type = 'payout' AND entity_id = $2)
           OR (entity_type = 'settlement_run' AND entity_id = $3)
        GROUP BY action ORDER BY action`,
      [ids.map(String), String(pid), String(runId)],
    )) as { action: string; n: number }[];
    expect(trail).toEqual([
      { action: 'payout.create', n: 1 },
      { action: 'payout.export', n: 2 },
      { action: 'payout.paid', n: 2 }, // the refused attempt (denied) and the payment
      { action: 'settlement.run.complete', n: 1 },
      { action: 'settlement.run.start', n: 1 },
      { action: 'statement.approve', n: 4 },
      { action: 'statement.paid', n: 4 },
      { action: 'statement.submit', n: 4 },
    ]);
  });

  it('keeps amounts fixed, and flags a tampered statement in the audit', async () => {
    const [s] = (await statementsOfRun()).items;
    // Amounts are fixed by a trigger; only a superuser with triggers off can tamper with them.
    await expect(
      api.dataSource.query(`UPDATE settlement_statement SET total_fen = total_fen + 1 WHERE id = $1`, [s.id]),
    ).rejects.toThrow(/keeps its merchant, funder, day and amounts/);
    await expect(
      api.dataSource.query(`DELETE FROM statement_line WHERE statement_id = $1`, [s.id]),
    ).rejects.toThrow(/never deleted/);
    const tamper = (delta: number) =>
      api.dataSource.transaction(async (m) => {
        await m.query(`SET LOCAL session_replication_role = replica`);
        await m.query(`UPDATE settlement_statement SET total_fen = total_fen + $2 WHERE id = $1`, [
          s.id,
          delta,
        ]);
      });
    await tamper(1);
    try {
      const auditor = await sf.staff('auditor');
      const audit = await api.request('GET', `/api/v1/settlement/audit?funderId=${s.funderId}`, {
        token: auditor.token,
      });
      const totals = audit.body.find(
        (c: { name: string }) => c.name === 'settlement.statement_totals_match_lines',
      );
      expect(totals.ok).toBe(false);
      expect(totals.problems[0]).toContain(`statement ${s.id}`);
      // And `npm run audit` reports it.
      const report = await runAudit({
        dataSource: api.dataSource,
        redis: api.redis.client,
        keyPrefix: api.config.redis.keyPrefix,
      });
      expect(report.checks.map((c) => c.name)).toEqual(
        expect.arrayContaining(SETTLEMENT_CHECKS.map((c) => c.name)),
      );
      expect(report.ok).toBe(false);
      expect(report.violations).toContainEqual({
        check: 'settlement.statement_totals_match_lines',
        subject: `statement ${s.id}`,
        message: expect.stringContaining('lines sum to'),
      });
    } finally {
      await tamper(-1);
    }
  });

  describe('Bull Board', () => {
    it('is served to operators only, by bearer token, cookie or a one-time query token', async () => {
      const operator = await sf.staff('operator');
      const none = await api.app.inject({ method: 'GET', url: '/admin/queues' });
      expect(none.statusCode).toBe(401);
      expect(JSON.parse(none.body).code).toBe('UNAUTHENTICATED');
      const finance = await api.app.inject({
        method: 'GET',
        url: '/admin/queues',
        headers: { authorization: `Bearer ${reviewer.token}` },
      });
      expect(finance.statusCode).toBe(403);
      const bearer = await api.app.inject({
        method: 'GET',
        url: '/admin/queues',
        headers: { authorization: `Bearer ${operator.token}` },
      });
      expect(bearer.statusCode).toBe(200);
      expect(bearer.headers['content-type']).toContain('text/html');
      const viaQuery = await api.app.inject({ method: 'GET', url: `/admin/queues?token=${operator.token}` });
      expect(viaQuery.statusCode).toBe(303);
      expect(viaQuery.headers.location).toBe('/admin/queues');
      const setCookie = String(viaQuery.headers['set-cookie']);
      expect(setCookie).toContain('HttpOnly');
      const cookie = setCookie.split(';')[0];
      const queues = await api.app.inject({
        method: 'GET',
        url: '/admin/queues/api/queues',
        headers: { cookie },
      });
      expect(queues.statusCode).toBe(200);
      const names = (JSON.parse(queues.body) as { queues: { name: string }[] }).queues.map((q) => q.name);
      expect(names).toEqual(expect.arrayContaining(['settlement', 'outbox', 'reporting']));
      const forged = await api.app.inject({
        method: 'GET',
        url: '/admin/queues/api/queues',
        headers: { cookie: 'jinli_admin_token=not-a-token' },
      });
      expect(forged.statusCode).toBe(401);
    });
  });
});
