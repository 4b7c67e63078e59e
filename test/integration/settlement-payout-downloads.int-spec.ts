import { SettlementRunService } from '@jinli/settlement';
import { dbSnapshot, Factories, SettlementFactories, TestApi } from '@jinli/testing';

const at = (day: string, time = '12:00') => new Date(`${day}T${time}:00+08:00`);
const S = '/api/v1/settlement';

interface Statement {
  id: number;
  status: string;
  payoutId: number | null;
}

interface AuditRow {
  action: string;
  details: Record<string, unknown>;
}

/**
 * A payout records the downloads of its bank file, and cancelling one whose file was downloaded
 * takes the reviewer's word that the bank did not receive it: its statements would otherwise be paid
 * again by the next payout. Through the API on the real database; business days in August 2022.
 */
describe('payout bank file downloads and cancelling', () => {
  let api: TestApi;
  let f: Factories;
  let sf: SettlementFactories;
  let actors: Awaited<ReturnType<SettlementFactories['payoutTeam']>>;
  const token = (who: keyof typeof actors) => f.token(actors[who]);
  const post = (url: string, body: object, who: keyof typeof actors) =>
    api.request('POST', url, { token: token(who), body });
  const get = (url: string, who: keyof typeof actors) => api.request('GET', url, { token: token(who) });

  beforeAll(async () => {
    api = await TestApi.start({ now: at('2022-08-01', '09:00') });
    f = await new Factories(api).init();
    sf = new SettlementFactories(api, f);
    actors = await sf.payoutTeam();
  });
  afterAll(() => api.close());

  /** One redemption on `day` (two funders, 2100 + 900), settled, approved and put in a payout by `payer`. */
  async function exportedPayout(day: string): Promise<{ id: number; statementIds: number[] }> {
    api.clock.set(at(day, '09:00'));
    const batch = await f.batch({ faceValueFen: 3000, thresholdFen: 10000 });
    const m = await sf.merchant();
    await sf.redeem({ batch, merchant: m, at: at(day) });
    api.clock.set(new Date(at(day, '00:30').getTime() + 24 * 3600_000));
    const runs = api.get(SettlementRunService);
    const run = await runs.start(actors.starter, { fromDay: day, toDay: day });
    await runs.runNow(run.id);
    const made = (await api.dataSource.query(
      `SELECT id FROM settlement_statement WHERE merchant_id = $1 ORDER BY id`,
      [m.merchantId],
    )) as { id: number }[];
    const ids = made.map((s) => Number(s.id));
    expect((await post(`${S}/statements/approve`, { ids }, 'reviewer')).status).toBe(200);
    const payout = await post(`${S}/payouts`, { statementIds: ids }, 'payer');
    expect(payout.body).toMatchObject({ status: 'exported', totalFen: 3000, statementCount: 2 });
    return { id: payout.body.id as number, statementIds: ids };
  }

  const statements = async (ids: number[]) =>
    (
      (await api.dataSource.query(
        `SELECT id, status, payout_id AS "payoutId" FROM settlement_statement WHERE id = ANY($1) ORDER BY id`,
        [ids],
      )) as Statement[]
    ).map((s) => ({ ...s, id: Number(s.id), payoutId: s.payoutId === null ? null : Number(s.payoutId) }));

  const audited = async (payoutId: number, action: string) =>
    (await api.dataSource.query(
      `SELECT action, details FROM audit_log WHERE entity_type = 'payout' AND entity_id = $1 AND action = $2 ORDER BY id`,
      [String(payoutId), action],
    )) as AuditRow[];

  it('counts every download of the bank file, CSV and XLSX, with the first one’s time', async () => {
    const { id } = await exportedPayout('2022-08-01');
    expect((await get(`${S}/payouts/${id}`, 'auditor')).body).toMatchObject({
      fileDownloadCount: 0,
      fileDownloadedAt: null,
    });
    // Refused downloads count nothing: the auditor may not have the file.
    expect((await get(`${S}/payouts/${id}/file.csv`, 'auditor')).status).toBe(403);

    api.clock.set(at('2022-08-02', '10:00'));
    const csv = await get(`${S}/payouts/${id}/file.csv`, 'payer');
    expect(csv.status).toBe(200);
    expect((await get(`${S}/payouts/${id}`, 'auditor')).body).toMatchObject({
      fileDownloadCount: 1,
      fileDownloadedAt: at('2022-08-02', '10:00').toISOString(),
    });

    api.clock.set(at('2022-08-02', '11:00'));
    const xlsx = await get(`${S}/payouts/${id}/file.xlsx`, 'payer');
    expect(xlsx.status).toBe(200);
    api.clock.set(at('2022-08-02', '11:30'));
    expect((await get(`${S}/payouts/${id}/file.csv`, 'payer')).status).toBe(200);
    const listed = (await get(`${S}/payouts?limit=50`, 'auditor')).body as { id: number }[];
    expect(listed.find((p) => p.id === id)).toMatchObject({
      fileDownloadCount: 3,
      fileDownloadedAt: at('2022-08-02', '10:00').toISOString(),
    });
    expect((await audited(id, 'payout.export')).map((a) => a.details)).toEqual([
      { format: 'csv', fileDownloadCount: 1 },
      { format: 'xlsx', fileDownloadCount: 2 },
      { format: 'csv', fileDownloadCount: 3 },
    ]);
  });

  it('refuses to cancel a downloaded payout without the confirmation, changing nothing; cancels it with', async () => {
    const { id, statementIds } = await exportedPayout('2022-08-05');
    api.clock.set(at('2022-08-06', '10:00'));
    expect((await get(`${S}/payouts/${id}/file.xlsx`, 'payer')).status).toBe(200);

    const tables = ['payout', 'settlement_statement', 'audit_log'];
    const before = await dbSnapshot(api.dataSource, tables);
    for (const body of [
      { reason: '付款文件金额有误' },
      { reason: '付款文件金额有误', bankDidNotReceive: false },
    ]) {
      const refused = await post(`${S}/payouts/${id}/cancel`, body, 'payer');
      expect({ status: refused.status, body: refused.body }).toEqual({
        status: 409,
        body: {
          code: 'PAYOUT_FILE_DOWNLOADED',
          message: expect.stringContaining('bankDidNotReceive'),
          details: { fileDownloadCount: 1, fileDownloadedAt: at('2022-08-06', '10:00').toISOString() },
        },
      });
    }
    // Only a boolean confirms.
    const notBoolean = await post(
      `${S}/payouts/${id}/cancel`,
      { reason: '金额有误', bankDidNotReceive: 'true' },
      'payer',
    );
    expect(notBoolean.status).toBe(400);
    expect(notBoolean.body.code).toBe('VALIDATION_FAILED');
    expect(await dbSnapshot(api.dataSource, tables)).toEqual(before);
    expect((await get(`${S}/payouts/${id}`, 'auditor')).body.status).toBe('exported');
    expect(await statements(statementIds)).toEqual(
      statementIds.map((s) => ({ id: s, status: 'approved', payoutId: id })),
    );
    expect(await audited(id, 'payout.cancel')).toEqual([]);

    const cancelled = await post(
      `${S}/payouts/${id}/cancel`,
      { reason: '付款文件金额有误', bankDidNotReceive: true },
      'payer',
    );
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', fileDownloadCount: 1 });
    expect(await statements(statementIds)).toEqual(
      statementIds.map((s) => ({ id: s, status: 'approved', payoutId: null })),
    );
    expect((await audited(id, 'payout.cancel')).map((a) => a.details)).toEqual([
      {
        reason: '付款文件金额有误',
        totalFen: 3000,
        statementIds,
        fileDownloadCount: 1,
        bankDidNotReceive: true,
      },
    ]);
    // A cancelled payout has no file: downloading it is refused and not counted.
    expect((await get(`${S}/payouts/${id}/file.csv`, 'payer')).body.code).toBe('PAYOUT_NOT_EXPORTED');
    expect((await get(`${S}/payouts/${id}`, 'auditor')).body.fileDownloadCount).toBe(1);
  });

  it('cancels a payout whose file was never downloaded without the confirmation', async () => {
    const { id, statementIds } = await exportedPayout('2022-08-10');
    const cancelled = await post(`${S}/payouts/${id}/cancel`, { reason: '不再发送此文件' }, 'payer');
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({
      status: 'cancelled',
      fileDownloadCount: 0,
      fileDownloadedAt: null,
    });
    expect(await statements(statementIds)).toEqual(
      statementIds.map((s) => ({ id: s, status: 'approved', payoutId: null })),
    );
    expect((await audited(id, 'payout.cancel')).map((a) => a.details)).toEqual([
      { reason: '不再发送此文件', totalFen: 3000, statementIds, fileDownloadCount: 0 },
    ]);
  });

  it('keeps the download record in the database: it only grows, and a paid payout is final but for it', async () => {
    const { id } = await exportedPayout('2022-08-15');
    api.clock.set(at('2022-08-16', '10:00'));
    expect((await get(`${S}/payouts/${id}/file.csv`, 'payer')).status).toBe(200);
    const paid = await post(`${S}/payouts/${id}/paid`, { bankReference: 'ICBC-0816' }, 'confirmer');
    expect(paid.status).toBe(200);
    // The file of a paid payout can still be downloaded, and it is counted.
    api.clock.set(at('2022-08-17', '10:00'));
    expect((await get(`${S}/payouts/${id}/file.csv`, 'payer')).status).toBe(200);
    expect((await get(`${S}/payouts/${id}`, 'auditor')).body).toMatchObject({
      status: 'paid',
      fileDownloadCount: 2,
      fileDownloadedAt: at('2022-08-16', '10:00').toISOString(),
    });
    for (const [sql, message] of [
      [`UPDATE payout SET bank_reference = 'X' WHERE id = $1`, /a paid or cancelled payout is final/],
      [
        `UPDATE payout SET file_download_count = 0, file_downloaded_at = NULL WHERE id = $1`,
        /recorded for good/,
      ],
      [`UPDATE payout SET file_downloaded_at = now() WHERE id = $1`, /recorded for good/],
    ] as [string, RegExp][])
      await expect(api.dataSource.query(sql, [id])).rejects.toThrow(message);

    const exported = await exportedPayout('2022-08-20');
    await expect(
      api.dataSource.query(`UPDATE payout SET file_download_count = 1 WHERE id = $1`, [exported.id]),
    ).rejects.toThrow(/ck_payout_file_downloads/);
    await post(`${S}/payouts/${exported.id}/cancel`, { reason: '不再发送此文件' }, 'payer');
    await expect(
      api.dataSource.query(
        `UPDATE payout SET file_download_count = 1, file_downloaded_at = now() WHERE id = $1`,
        [exported.id],
      ),
    ).rejects.toThrow(/a paid or cancelled payout is final/);
  });
});
