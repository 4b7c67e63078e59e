import { BatchView, CampaignView, FunderView } from '@jinli/issuing';
import { dbSnapshot, Factories, HttpResult, TestApi, uniq, uniqPhone } from '@jinli/testing';

/**
 * Bad input gets one precise answer, `{ code, message, details? }`, and changes nothing: every test
 * compares a snapshot of the database taken before and after the refused request.
 */
describe('HTTP validation', () => {
  let api: TestApi;
  let f: Factories;
  let token: string;
  let funder: FunderView;
  let campaign: CampaignView;
  let batch: BatchView;

  beforeAll(async () => {
    api = await TestApi.start({ now: '2020-07-10T10:00:00+08:00' });
    f = await new Factories(api).init();
    token = f.operatorToken;
    funder = await f.funder();
    campaign = await f.campaign();
    batch = await f.batch({ campaignId: campaign.id, publish: false });
  });
  afterAll(() => api.close());

  /** Sends a request that must be refused, and checks the answer and that nothing changed. */
  async function refused(
    method: string,
    url: string,
    options: { body?: unknown; raw?: string; headers?: Record<string, string>; token?: string | null },
    status: number,
    body: unknown,
  ): Promise<HttpResult> {
    const before = await dbSnapshot(api.dataSource);
    const res = await api.request(method, url, {
      body: options.body,
      raw: options.raw,
      headers: options.headers,
      token: options.token === null ? undefined : (options.token ?? token),
    });
    expect({ status: res.status, body: res.body }).toEqual({ status, body });
    expect(await dbSnapshot(api.dataSource)).toEqual(before);
    return res;
  }

  const validation = (details: { field: string; problems: string[] }[]) => ({
    code: 'VALIDATION_FAILED',
    message: `Invalid request: ${details.map((d) => `${d.field}: ${d.problems.join(', ')}`).join('; ')}`,
    details,
  });
  const funderBody = (extra: Record<string, unknown> = {}) => ({
    name: uniq('出资方'),
    kind: 'district',
    district: 'gusu',
    budgetFen: 100_000,
    ...extra,
  });
  const FEN_INT = (field: string) => `${field} must be an integer number of fen`;
  const FEN_MIN = (field: string, min = 0) => `${field} must not be less than ${min}`;
  const FEN_MAX = (field: string) => `${field} must not be greater than 1000000000000`;

  it('accepts the well-formed request the refusals below are variations of', async () => {
    const res = await api.request('POST', '/api/v1/funders', { token, body: funderBody() });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ budgetFen: 100_000, status: 'draft' });
  });

  describe('unknown fields', () => {
    it('refuses a field the DTO does not declare, at the top level', async () => {
      await refused(
        'POST',
        '/api/v1/funders',
        { body: funderBody({ committedFen: 0 }) },
        400,
        validation([{ field: 'committedFen', problems: ['property committedFen should not exist'] }]),
      );
    });

    it('refuses one nested in an array', async () => {
      await refused(
        'POST',
        '/api/v1/campaigns',
        {
          body: {
            name: uniq('活动'),
            startsAt: '2020-07-04T00:00:00+08:00',
            endsAt: '2020-09-04T00:00:00+08:00',
            budgetFen: 1_000_000,
            funders: [{ funderId: funder.id, shareBp: 10_000, paid: true }],
          },
        },
        400,
        validation([{ field: 'funders.0.paid', problems: ['property paid should not exist'] }]),
      );
    });

    it('refuses status or version smuggled into an edit', async () => {
      await refused(
        'PATCH',
        `/api/v1/batches/${batch.id}`,
        { body: { status: 'published', issuedCount: 0 } },
        400,
        validation([
          { field: 'status', problems: ['property status should not exist'] },
          { field: 'issuedCount', problems: ['property issuedCount should not exist'] },
        ]),
      );
    });
  });

  describe('money', () => {
    it('refuses a negative amount', async () => {
      await refused(
        'POST',
        '/api/v1/funders',
        { body: funderBody({ budgetFen: -1 }) },
        400,
        validation([{ field: 'budgetFen', problems: [FEN_MIN('budgetFen')] }]),
      );
    });

    it('refuses a fractional amount', async () => {
      await refused(
        'POST',
        '/api/v1/funders',
        { body: funderBody({ budgetFen: 100.5 }) },
        400,
        validation([{ field: 'budgetFen', problems: [FEN_INT('budgetFen')] }]),
      );
      await refused(
        'PATCH',
        `/api/v1/batches/${batch.id}`,
        { body: { faceValueFen: 29.99 } },
        400,
        validation([{ field: 'faceValueFen', problems: [FEN_INT('faceValueFen')] }]),
      );
    });

    it('refuses an amount sent as a string, never coercing it', async () => {
      await refused(
        'POST',
        '/api/v1/funders',
        { body: funderBody({ budgetFen: '100000' }) },
        400,
        validation([
          {
            field: 'budgetFen',
            problems: [FEN_INT('budgetFen'), FEN_MIN('budgetFen'), FEN_MAX('budgetFen')],
          },
        ]),
      );
      await refused(
        'PATCH',
        `/api/v1/funders/${funder.id}`,
        { body: { budgetFen: '１００' } },
        400,
        validation([
          {
            field: 'budgetFen',
            problems: [FEN_INT('budgetFen'), FEN_MIN('budgetFen'), FEN_MAX('budgetFen')],
          },
        ]),
      );
    });

    it('refuses a huge amount, including one beyond 2^53', async () => {
      await refused(
        'POST',
        '/api/v1/funders',
        { body: funderBody({ budgetFen: 1_000_000_000_001 }) },
        400,
        validation([{ field: 'budgetFen', problems: [FEN_MAX('budgetFen')] }]),
      );
      await refused(
        'POST',
        '/api/v1/funders',
        {
          raw: JSON.stringify(funderBody({ budgetFen: 0 })).replace(
            '"budgetFen":0',
            '"budgetFen":18446744073709551616',
          ),
        },
        400,
        validation([{ field: 'budgetFen', problems: [FEN_MAX('budgetFen')] }]),
      );
    });

    it('refuses zero where a positive amount is needed, and null or booleans anywhere', async () => {
      await refused(
        'PATCH',
        `/api/v1/batches/${batch.id}`,
        { body: { faceValueFen: 0 } },
        400,
        validation([{ field: 'faceValueFen', problems: [FEN_MIN('faceValueFen', 1)] }]),
      );
      await refused(
        'POST',
        '/api/v1/funders',
        { body: funderBody({ budgetFen: true }) },
        400,
        validation([
          {
            field: 'budgetFen',
            problems: [FEN_INT('budgetFen'), FEN_MIN('budgetFen'), FEN_MAX('budgetFen')],
          },
        ]),
      );
      await refused(
        'POST',
        '/api/v1/funders',
        { body: funderBody({ budgetFen: null }) },
        400,
        validation([
          {
            field: 'budgetFen',
            problems: [FEN_INT('budgetFen'), FEN_MIN('budgetFen'), FEN_MAX('budgetFen')],
          },
        ]),
      );
    });
  });

  describe('other fields', () => {
    it('refuses a date-time without an offset', async () => {
      const msg = 'startsAt must be an ISO 8601 date-time with an offset, e.g. 2020-07-04T10:00:00+08:00';
      await refused(
        'PATCH',
        `/api/v1/campaigns/${campaign.id}`,
        { body: { startsAt: '2020-07-04T10:00:00' } },
        400,
        validation([{ field: 'startsAt', problems: [msg] }]),
      );
    });

    it('refuses null in an edit of a field that cannot be empty, with 400 and nothing changed', async () => {
      const cases: [string, Record<string, unknown>][] = [
        [`/api/v1/funders/${funder.id}`, { name: null }],
        [`/api/v1/funders/${funder.id}`, { budgetFen: null }],
        [`/api/v1/campaigns/${campaign.id}`, { name: null }],
        [`/api/v1/campaigns/${campaign.id}`, { description: null }],
        [`/api/v1/campaigns/${campaign.id}`, { endsAt: null }],
        [`/api/v1/batches/${batch.id}`, { name: null }],
        [`/api/v1/batches/${batch.id}`, { allowedCategories: null }],
        [`/api/v1/batches/${batch.id}`, { merchantWhitelist: null }],
        [`/api/v1/batches/${batch.id}`, { usageWindows: null }],
        [`/api/v1/batches/${batch.id}`, { perCitizenLimit: null }],
        [`/api/v1/batches/${batch.id}`, { refundPolicy: null }],
        [`/api/v1/batches/${batch.id}`, { quota: null }],
      ];
      for (const [url, body] of cases) {
        const before = await dbSnapshot(api.dataSource);
        const res = await api.request('PATCH', url, { body, token });
        const field = Object.keys(body)[0];
        expect({ url, field, status: res.status, code: res.body.code }).toEqual({
          url,
          field,
          status: 400,
          code: 'VALIDATION_FAILED',
        });
        expect((res.body.details as { field: string }[]).map((d) => d.field)).toEqual([field]);
        expect(await dbSnapshot(api.dataSource)).toEqual(before);
      }
      // A null that means something is still taken: a funder without a district.
      const city = await api.request('PATCH', `/api/v1/funders/${funder.id}`, {
        body: { district: null },
        token,
      });
      expect({ status: city.status, district: city.body.district }).toEqual({ status: 200, district: null });
    });

    it('refuses a bad phone number in a public merchant application', async () => {
      const before = await dbSnapshot(api.dataSource);
      const res = await api.request('POST', '/api/v1/merchant-applications', {
        body: {
          name: '松鹤楼',
          category: 'catering',
          district: 'gusu',
          contactName: '王经理',
          contactPhone: '12345',
          bankAccountName: '苏州松鹤楼餐饮有限公司',
          bankName: '中国银行苏州分行',
          bankAccountNo: '6217856100012345678',
          stores: [{ name: '观前店', district: 'gusu' }],
          owner: { username: 'songhelou-x', password: 'Owner-password-1', displayName: '王' },
        },
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(
        validation([
          { field: 'contactPhone', problems: ['contactPhone must be an 11-digit mainland mobile number'] },
        ]),
      );
      expect(await dbSnapshot(api.dataSource)).toEqual(before);
      // The phone number the client sent is not echoed back.
      expect(JSON.stringify(res.body)).not.toContain('12345"');
    });

    it('refuses a bad query value', async () => {
      const before = await dbSnapshot(api.dataSource);
      const res = await api.request('GET', '/api/v1/campaigns?status=bogus', { token });
      expect(res).toMatchObject({
        status: 400,
        body: { code: 'VALIDATION_FAILED', message: 'status must be one of draft, published, paused, ended' },
      });
      const limit = await api.request('GET', '/api/v1/merchants?limit=-1', { token });
      expect(limit.body).toEqual(
        validation([{ field: 'limit', problems: ['limit must match /^\\d{1,3}$/ regular expression'] }]),
      );
      expect(await dbSnapshot(api.dataSource)).toEqual(before);
    });
  });

  describe('malformed requests', () => {
    it('refuses malformed JSON', async () => {
      await refused('POST', '/api/v1/funders', { raw: '{"name": "苏州市", "budgetFen": 1' }, 400, {
        code: 'MALFORMED_REQUEST',
        message: "Body is not valid JSON but content-type is set to 'application/json'",
      });
    });

    it('refuses a JSON array, string or null where an object is expected', async () => {
      const notObject = {
        code: 'VALIDATION_FAILED',
        message: 'The request body must be a JSON object',
        details: [{ field: '(body)', problems: ['must be a JSON object'] }],
      };
      await refused('POST', '/api/v1/funders', { raw: JSON.stringify([funderBody()]) }, 400, notObject);
      await refused('POST', '/api/v1/funders', { raw: '"budget"' }, 400, notObject);
      await refused('POST', '/api/v1/funders', { raw: 'null' }, 400, notObject);
    });

    it('refuses a body that is not JSON with 415', async () => {
      await refused(
        'POST',
        '/api/v1/funders',
        { raw: 'name=x', headers: { 'content-type': 'text/plain' } },
        415,
        { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the request body as application/json' },
      );
    });

    it('refuses an oversized body with 413 before reading it', async () => {
      await refused(
        'POST',
        '/api/v1/funders',
        { raw: JSON.stringify(funderBody({ description: 'x'.repeat(65 * 1024) })) },
        413,
        { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large' },
      );
      // Even on a public route, and without a token.
      await refused(
        'POST',
        '/api/v1/merchant-applications',
        { raw: JSON.stringify({ name: 'x'.repeat(70 * 1024) }), token: null },
        413,
        { code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large' },
      );
    });
  });

  describe('ids', () => {
    it.each(['abc', '0', '-1', '1.5', '1e3', '0x10', '01', '%201', '2147483648', '99999999999999999999'])(
      'refuses %s as an id',
      async (id) => {
        await refused('POST', `/api/v1/funders/${id}/publish`, {}, 400, {
          code: 'VALIDATION_FAILED',
          message: 'id must be a whole number from 1 to 2147483647',
          details: [{ field: 'id', problems: ['must be a whole number from 1 to 2147483647'] }],
        });
      },
    );

    it('refuses an id past its column in a query string or a body with 400, never a 500', async () => {
      const finance = f.token((await f.staff('finance')).actor);
      const auditor = f.token((await f.staff('auditor')).actor);
      const { owner } = await f.merchant();
      const INT = 'must be a whole number from 1 to 2147483647';
      const BIG = 'must be a whole number from 1 to 9007199254740991';
      const query: [string, string, string, string][] = [
        [
          finance,
          '/api/v1/reports/leverage?fromDay=2020-07-01&toDay=2020-07-10&campaignId=9999999999',
          'campaignId',
          INT,
        ],
        [
          finance,
          '/api/v1/reports/leverage?fromDay=2020-07-01&toDay=2020-07-10&batchId=2147483648',
          'batchId',
          INT,
        ],
        [
          finance,
          '/api/v1/reports/leverage?fromDay=2020-07-01&toDay=2020-07-10&funderId=2147483648',
          'funderId',
          INT,
        ],
        [
          finance,
          '/api/v1/reports/leverage?fromDay=2020-07-01&toDay=2020-07-10&merchantId=2147483648',
          'merchantId',
          INT,
        ],
        [finance, '/api/v1/settlement/statements?merchantId=9999999999999999', 'merchantId', INT],
        [finance, '/api/v1/settlement/statements?funderId=2147483648', 'funderId', INT],
        [finance, '/api/v1/settlement/statements?runId=9007199254740992', 'runId', BIG],
        [finance, '/api/v1/settlement/statements?payoutId=9999999999999999', 'payoutId', BIG],
        [finance, '/api/v1/settlement/ledger/balances?funderId=2147483648', 'funderId', INT],
        [finance, '/api/v1/settlement/ledger/balances?merchantId=2147483648', 'merchantId', INT],
        [auditor, '/api/v1/settlement/audit?funderId=2147483648', 'funderId', INT],
        [finance, '/api/v1/settlement/clawbacks?funderId=2147483648', 'funderId', INT],
        [finance, '/api/v1/settlement/clawbacks?merchantId=99999999999', 'merchantId', INT],
        [auditor, '/api/v1/audit-log?beforeId=9999999999999999', 'beforeId', BIG],
        [f.token(owner), '/api/v1/merchant/day?storeId=9999999999', 'storeId', INT],
      ];
      for (const [t, url, field, problem] of query) {
        await refused(
          'GET',
          url,
          { token: t },
          400,
          validation([{ field, problems: [`${field} ${problem}`] }]),
        );
      }
      // The largest ids still pass validation (and find nothing).
      const fine = await api.request(
        'GET',
        '/api/v1/settlement/statements?runId=2147483648&merchantId=2147483647',
        {
          token: finance,
        },
      );
      expect(fine.status).toBe(200);
      const day = await api.request('GET', '/api/v1/merchant/day?storeId=2147483647', {
        token: f.token(owner),
      });
      expect(day.status).not.toBe(500);

      const body: [string, string, unknown, string][] = [
        [finance, '/api/v1/settlement/payouts', { funderId: 2147483648 }, 'funderId'],
        [finance, '/api/v1/settlement/payouts', { statementIds: [9007199254740992] }, 'statementIds'],
        [finance, '/api/v1/settlement/statements/approve', { ids: [1, 9007199254740992] }, 'ids'],
        [
          finance,
          '/api/v1/settlement/payouts/1/paid',
          { bankReference: 'ICBC-1', failedRows: [{ funderId: 2147483648, merchantId: 1, reason: '退回' }] },
          'failedRows.0.funderId',
        ],
        [
          token,
          `/api/v1/campaigns/${campaign.id}/batches`,
          f.batchInput({ merchantWhitelist: [2147483648] }),
          'merchantWhitelist',
        ],
      ];
      for (const [t, url, b, field] of body) {
        const res = await refused('POST', url, { body: b, token: t }, 400, expect.anything());
        expect(res.body.code).toBe('VALIDATION_FAILED');
        expect(res.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
      }
    });

    it('answers 404 for a well-formed id that does not exist, and for an unknown action', async () => {
      await refused('POST', '/api/v1/funders/2147483647/publish', {}, 404, {
        code: 'FUNDER_NOT_FOUND',
        message: 'Funder 2147483647 was not found',
      });
      await refused('POST', `/api/v1/funders/${funder.id}/explode`, {}, 404, {
        code: 'NOT_FOUND',
        message: 'Unknown action explode; use one of publish, pause, resume, end',
      });
    });
  });

  describe('business rules over HTTP', () => {
    it('answers 422 with the rule and its figures, and changes nothing', async () => {
      await refused('PATCH', `/api/v1/batches/${batch.id}`, { body: { thresholdFen: 100 } }, 422, {
        code: 'BATCH_THRESHOLD_BELOW_FACE_VALUE',
        message:
          'The threshold (100 fen) is below the face value (3000 fen): an order must cost at least the discount',
        details: { faceValueFen: 3000, thresholdFen: 100 },
      });
    });

    it('answers 409 STALE_VERSION for an edit of an old version', async () => {
      await refused(
        'PATCH',
        `/api/v1/campaigns/${campaign.id}`,
        { body: { description: '新说明', version: campaign.version + 5 } },
        409,
        {
          code: 'STALE_VERSION',
          message: 'The campaign was changed by someone else; reload it and try again',
          details: { currentVersion: campaign.version },
        },
      );
    });

    it('a valid phone number in a merchant application is kept and shown masked', async () => {
      const phone = uniqPhone();
      const res = await api.request('POST', '/api/v1/merchant-applications', {
        body: {
          name: uniq('得月楼'),
          category: 'catering',
          district: 'gusu',
          contactName: '王经理',
          contactPhone: phone,
          bankAccountName: '苏州得月楼餐饮有限公司',
          bankName: '中国银行苏州分行',
          bankAccountNo: '6217856100012345678',
          stores: [{ name: '观前店', district: 'gusu' }],
          owner: {
            username: uniq('dyl').replace(/[^A-Za-z0-9_.-]/g, ''),
            password: 'Owner-password-1',
            displayName: '王',
          },
        },
      });
      expect(res.status).toBe(201);
      expect(res.body.merchant.contactPhoneMasked).toBe(`${phone.slice(0, 3)}****${phone.slice(7)}`);
      expect(JSON.stringify(res.body)).not.toContain(phone);
    });
  });
});
