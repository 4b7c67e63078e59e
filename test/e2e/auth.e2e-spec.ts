import { Role } from '@jinli/contracts';
import { Factories, TestApi, uniqPhone } from '@jinli/testing';

const SIGN_IN = '/api/v1/auth/staff/sign-in';
const CODE = '/api/v1/auth/citizen/code';
const CITIZEN_SIGN_IN = '/api/v1/auth/citizen/sign-in';
const ME = '/api/v1/auth/me';

describe('sign-in and access control (HTTP)', () => {
  let api: TestApi;
  let f: Factories;
  /** One signed-in token per role, obtained through the real sign-in routes. */
  const tokens: Record<string, string> = {};
  let merchantA: Awaited<ReturnType<Factories['merchant']>>;
  let merchantB: Awaited<ReturnType<Factories['merchant']>>;

  beforeAll(async () => {
    api = await TestApi.start({ now: '2020-07-10T10:00:00+08:00' });
    f = await new Factories(api).init();
    merchantA = await f.merchant({ stores: 2 });
    merchantB = await f.merchant();
  });
  afterAll(() => api.close());

  async function staffSignIn(username: string, password: string) {
    return api.request('POST', SIGN_IN, { body: { username, password } });
  }

  async function citizenSignIn(phone: string) {
    const sent = await api.request('POST', CODE, { body: { phone } });
    expect(sent.status).toBe(200);
    const code = api.sms.lastCodeFor(phone);
    expect(code).toMatch(/^\d{6}$/);
    return api.request('POST', CITIZEN_SIGN_IN, { body: { phone, code } });
  }

  describe('each role signs in', () => {
    it.each(['operator', 'finance', 'auditor'] as const)('%s, with a password', async (role) => {
      const { username, password, actor } = await f.staff(role);
      const res = await staffSignIn(username, password);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        accessToken: expect.any(String),
        expiresAt: new Date(api.clock.nowMs() + 8 * 3600_000).toISOString(),
        staff: {
          id: actor.id,
          username,
          role,
          displayName: `测试${role}`,
          phoneMasked: '',
          merchantId: null,
          storeId: null,
          active: true,
        },
      });
      tokens[role] = res.body.accessToken;
      const me = await api.request('GET', ME, { token: tokens[role] });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: actor.id, role });
    });

    it('merchant_owner and cashier, with a password, carrying their merchant and store', async () => {
      const owner = await staffSignIn(merchantA.logins.owner.username, merchantA.logins.owner.password);
      expect(owner.status).toBe(200);
      expect(owner.body.staff).toMatchObject({
        role: 'merchant_owner',
        merchantId: merchantA.merchant.id,
        storeId: null,
      });
      tokens.merchant_owner = owner.body.accessToken;
      const cashier = await staffSignIn(
        merchantA.logins.cashiers[0].username,
        merchantA.logins.cashiers[0].password,
      );
      expect(cashier.status).toBe(200);
      expect(cashier.body.staff).toMatchObject({
        role: 'cashier',
        merchantId: merchantA.merchant.id,
        storeId: merchantA.merchant.stores[0].id,
      });
      tokens.cashier = cashier.body.accessToken;
      const mine = await api.request('GET', '/api/v1/my/merchant', { token: tokens.cashier });
      expect(mine.status).toBe(200);
      expect(mine.body.id).toBe(merchantA.merchant.id);
    });

    it('usernames are case-insensitive', async () => {
      const { username, password } = await f.staff('auditor');
      expect((await staffSignIn(username.toUpperCase(), password)).status).toBe(200);
    });

    it('citizen, with a phone number and the code sent by SMS; a second sign-in is the same citizen', async () => {
      const phone = uniqPhone();
      const sent = await api.request('POST', CODE, { body: { phone } });
      // The memory sender never echoes codes back (only the development console sender does).
      expect(sent.body).toEqual({ expiresInS: 300, resendAfterS: 0 });
      const first = await citizenSignIn(phone);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({
        accessToken: expect.any(String),
        expiresAt: new Date(api.clock.nowMs() + 7 * 24 * 3600_000).toISOString(),
        citizen: {
          id: expect.any(Number),
          phoneMasked: `${phone.slice(0, 3)}****${phone.slice(7)}`,
          verified: false,
        },
      });
      tokens.citizen = first.body.accessToken;
      const again = await citizenSignIn(phone);
      expect(again.body.citizen.id).toBe(first.body.citizen.id);
      const me = await api.request('GET', ME, { token: tokens.citizen });
      expect(me.body).toEqual(first.body.citizen);
      // A code works once.
      const reuse = await api.request('POST', CITIZEN_SIGN_IN, {
        body: { phone, code: api.sms.lastCodeFor(phone) },
      });
      expect(reuse.status).toBe(401);
      expect(reuse.body.code).toBe('AUTH_OTP_INVALID');
    });
  });

  describe('role guards', () => {
    // Routes that belong to some roles, and the roles refused there.
    const cases: { route: [string, string]; allowed: string[] }[] = [
      { route: ['POST', '/api/v1/funders'], allowed: ['operator'] },
      { route: ['GET', '/api/v1/funders'], allowed: ['operator', 'finance', 'auditor'] },
      { route: ['POST', '/api/v1/merchants/1/approve'], allowed: ['operator'] },
      { route: ['POST', '/api/v1/staff'], allowed: ['operator'] },
      { route: ['GET', '/api/v1/my/merchant'], allowed: ['merchant_owner', 'cashier'] },
      { route: ['POST', '/api/v1/my/merchant/cashiers'], allowed: ['merchant_owner'] },
      { route: ['POST', '/api/v1/auth/citizen/verification'], allowed: ['citizen'] },
      {
        route: ['POST', '/api/v1/auth/staff/password'],
        allowed: ['operator', 'finance', 'auditor', 'merchant_owner', 'cashier'],
      },
    ];
    const roles = ['operator', 'finance', 'auditor', 'merchant_owner', 'cashier', 'citizen'];

    it('refuses every role on the routes of other roles, before reading the body', async () => {
      expect(Object.keys(tokens).sort()).toEqual([...roles].sort());
      let refusals = 0;
      for (const { route, allowed } of cases) {
        for (const role of roles.filter((r) => !allowed.includes(r))) {
          const res = await api.request(route[0], route[1], { token: tokens[role], body: {} });
          expect({ role, route, status: res.status, body: res.body }).toEqual({
            role,
            route,
            status: 403,
            body: {
              code: 'AUTH_ROLE_FORBIDDEN',
              message: `This action needs one of the roles: ${allowed.join(', ')}`,
            },
          });
          refusals += 1;
        }
        for (const role of allowed) {
          const res = await api.request(route[0], route[1], { token: tokens[role], body: {} });
          expect({ role, route, status: res.status }).not.toEqual({ role, route, status: 403 });
        }
      }
      expect(refusals).toBeGreaterThan(25);
    });

    it('answers 401 without a token, with a malformed one, and with one signed by another key', async () => {
      expect(await api.request('GET', '/api/v1/funders')).toMatchObject({
        status: 401,
        body: { code: 'UNAUTHENTICATED', message: 'Sign in first (Authorization: Bearer <token>)' },
      });
      expect(
        await api.request('GET', '/api/v1/funders', { headers: { authorization: 'Basic abc' } }),
      ).toMatchObject({
        status: 401,
        body: { code: 'UNAUTHENTICATED' },
      });
      expect(await api.request('GET', '/api/v1/funders', { token: 'not.a.jwt' })).toMatchObject({
        status: 401,
        body: { code: 'AUTH_TOKEN_INVALID', message: 'The access token is not valid' },
      });
      const [h, p] = tokens.operator.split('.');
      const forged = `${h}.${p}.${Buffer.from('forged-signature').toString('base64url')}`;
      expect((await api.request('GET', '/api/v1/funders', { token: forged })).body.code).toBe(
        'AUTH_TOKEN_INVALID',
      );
      // A citizen token edited to claim the operator role fails its signature.
      const [ch, cp, cs] = tokens.citizen.split('.');
      const claims = JSON.parse(Buffer.from(cp, 'base64url').toString()) as Record<string, unknown>;
      const escalated = Buffer.from(JSON.stringify({ ...claims, role: Role.Operator })).toString('base64url');
      expect(
        (await api.request('GET', '/api/v1/funders', { token: `${ch}.${escalated}.${cs}` })).body.code,
      ).toBe('AUTH_TOKEN_INVALID');
    });
  });

  describe('one-time codes', () => {
    it('expire after OTP_TTL_S on the injected clock', async () => {
      const phone = uniqPhone();
      await api.request('POST', CODE, { body: { phone } });
      const code = api.sms.lastCodeFor(phone);
      api.clock.advance(300_000);
      const res = await api.request('POST', CITIZEN_SIGN_IN, { body: { phone, code } });
      expect(res).toMatchObject({
        status: 401,
        body: { code: 'AUTH_OTP_EXPIRED', message: 'The code has expired; ask for a new one' },
      });
      // A fresh code works.
      expect((await citizenSignIn(phone)).status).toBe(200);
    });

    it('allow OTP_MAX_ATTEMPTS wrong tries, then refuse even the right code until a new one is sent', async () => {
      const phone = uniqPhone();
      await api.request('POST', CODE, { body: { phone } });
      const code = api.sms.lastCodeFor(phone)!;
      const wrong = code === '000000' ? '111111' : '000000';
      for (let left = 4; left >= 0; left--) {
        const res = await api.request('POST', CITIZEN_SIGN_IN, { body: { phone, code: wrong } });
        expect(res).toMatchObject({
          status: 401,
          body: { code: 'AUTH_OTP_INVALID', message: 'The code is wrong', details: { attemptsLeft: left } },
        });
      }
      const blocked = await api.request('POST', CITIZEN_SIGN_IN, { body: { phone, code } });
      expect(blocked).toMatchObject({ status: 429, body: { code: 'AUTH_OTP_TOO_MANY_ATTEMPTS' } });
      const after = await api.request('POST', CITIZEN_SIGN_IN, { body: { phone, code } });
      expect(after.body.code).toBe('AUTH_OTP_INVALID');
      expect((await citizenSignIn(phone)).status).toBe(200);
    });

    it('refuse a code for a phone that never asked for one', async () => {
      const res = await api.request('POST', CITIZEN_SIGN_IN, {
        body: { phone: uniqPhone(), code: '123456' },
      });
      expect(res).toMatchObject({ status: 401, body: { code: 'AUTH_OTP_INVALID' } });
    });
  });

  describe('passwords', () => {
    it('refuse a wrong password and an unknown user with the same answer', async () => {
      const { username } = await f.staff('finance');
      const wrong = await staffSignIn(username, 'Wrong-password-1');
      const unknown = await staffSignIn('nobody-here', 'Wrong-password-1');
      const body = { code: 'AUTH_INVALID_CREDENTIALS', message: 'Wrong username or password' };
      expect(wrong).toMatchObject({ status: 401, body });
      expect(unknown).toMatchObject({ status: 401, body });
      expect(wrong.body).toEqual(body);
    });

    it('lock the account after LOGIN_MAX_FAILURES wrong passwords, and unlock it after LOGIN_LOCK_S', async () => {
      const { username, password, actor } = await f.staff('operator');
      for (let i = 0; i < 5; i++)
        expect((await staffSignIn(username, `Wrong-password-${i}`)).status).toBe(401);
      const locked = await staffSignIn(username, password);
      expect(locked).toMatchObject({
        status: 423,
        body: {
          code: 'AUTH_ACCOUNT_LOCKED',
          details: { lockedUntil: new Date(api.clock.nowMs() + 900_000).toISOString() },
        },
      });
      const audit = (await api.dataSource.query(
        `SELECT outcome, details FROM audit_log WHERE action = 'auth.login_failed' AND actor_id = $1 ORDER BY id`,
        [actor.id],
      )) as { outcome: string; details: { locked: boolean } }[];
      expect(audit.map((a) => [a.outcome, a.details.locked])).toEqual([
        ['denied', false],
        ['denied', false],
        ['denied', false],
        ['denied', false],
        ['denied', true],
      ]);
      api.clock.advance(899_000);
      expect((await staffSignIn(username, password)).status).toBe(423);
      api.clock.advance(1_000);
      const ok = await staffSignIn(username, password);
      expect(ok.status).toBe(200);
      // A success clears the count: four more failures do not lock it again.
      for (let i = 0; i < 4; i++) expect((await staffSignIn(username, 'Wrong-password-9')).status).toBe(401);
      expect((await staffSignIn(username, password)).status).toBe(200);
    });

    it('count parallel wrong passwords one by one: a burst locks the account like a sequence', async () => {
      const { username, password, actor } = await f.staff('operator');
      const burst = await Promise.all(
        Array.from({ length: 12 }, (_, i) => staffSignIn(username, `Wrong-password-${i}`)),
      );
      // Guesses that arrive once the lock is on are refused as locked without being checked.
      for (const r of burst) expect([401, 423]).toContain(r.status);
      const failed = burst.filter((r) => r.status === 401).length;
      expect(failed).toBeGreaterThanOrEqual(5);
      const audit = (await api.dataSource.query(
        `SELECT details FROM audit_log WHERE action = 'auth.login_failed' AND actor_id = $1`,
        [actor.id],
      )) as { details: { locked: boolean } }[];
      expect(audit).toHaveLength(failed);
      expect(audit.filter((a) => a.details.locked)).toHaveLength(Math.floor(failed / 5));
      expect(await staffSignIn(username, password)).toMatchObject({
        status: 423,
        body: { code: 'AUTH_ACCOUNT_LOCKED' },
      });
    });

    it('refuse a disabled account', async () => {
      const { username, password, actor } = await f.staff('auditor');
      await api.dataSource.query(`UPDATE staff_account SET active = false WHERE id = $1`, [actor.id]);
      expect(await staffSignIn(username, password)).toMatchObject({
        status: 403,
        body: { code: 'AUTH_ACCOUNT_DISABLED' },
      });
    });

    it('change with the current password, and only then', async () => {
      const { username, password } = await f.staff('finance');
      const token = (await staffSignIn(username, password)).body.accessToken as string;
      const bad = await api.request('POST', '/api/v1/auth/staff/password', {
        token,
        body: { currentPassword: 'Not-the-password-1', newPassword: 'New-password-2020' },
      });
      expect(bad).toMatchObject({ status: 401, body: { code: 'AUTH_INVALID_CREDENTIALS' } });
      const weak = await api.request('POST', '/api/v1/auth/staff/password', {
        token,
        body: { currentPassword: password, newPassword: 'onlyletters' },
      });
      expect(weak).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
      const ok = await api.request('POST', '/api/v1/auth/staff/password', {
        token,
        body: { currentPassword: password, newPassword: 'New-password-2020' },
      });
      expect(ok.status).toBe(204);
      expect((await staffSignIn(username, password)).status).toBe(401);
      expect((await staffSignIn(username, 'New-password-2020')).status).toBe(200);
    });
  });

  describe('access tokens', () => {
    it('expire: staff after STAFF_TOKEN_TTL_S, citizens after CITIZEN_TOKEN_TTL_S', async () => {
      const { username, password } = await f.staff('auditor');
      const staff = (await staffSignIn(username, password)).body.accessToken as string;
      const citizen = (await citizenSignIn(uniqPhone())).body.accessToken as string;
      api.clock.advance(8 * 3600_000 - 1000);
      expect((await api.request('GET', ME, { token: staff })).status).toBe(200);
      api.clock.advance(1000);
      expect(await api.request('GET', ME, { token: staff })).toMatchObject({
        status: 401,
        body: { code: 'AUTH_TOKEN_EXPIRED', message: 'Your session has expired; sign in again' },
      });
      expect((await api.request('GET', ME, { token: citizen })).status).toBe(200);
      api.clock.advance(7 * 24 * 3600_000);
      expect((await api.request('GET', ME, { token: citizen })).body.code).toBe('AUTH_TOKEN_EXPIRED');
    });
  });

  describe('stores', () => {
    it("lets a cashier see its merchant's stores and refuses another merchant's, with an audit entry", async () => {
      const cashier = f.token(merchantA.cashiers[0]);
      const own = await api.request('GET', `/api/v1/my/stores/${merchantA.merchant.stores[1].id}`, {
        token: cashier,
      });
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({
        id: merchantA.merchant.stores[1].id,
        merchantId: merchantA.merchant.id,
      });

      const otherStore = merchantB.merchant.stores[0].id;
      const refused = await api.request('GET', `/api/v1/my/stores/${otherStore}`, { token: cashier });
      expect(refused).toEqual({
        status: 403,
        headers: expect.anything(),
        body: {
          code: 'AUTH_STORE_FORBIDDEN',
          message: 'You can only act for the stores of your own merchant',
          details: { storeId: otherStore },
        },
      });
      const [row] = (await api.dataSource.query(
        `SELECT actor_role, actor_id, action, entity_type, entity_id, outcome FROM audit_log
          WHERE entity_type = 'store' AND entity_id = $1 ORDER BY id DESC LIMIT 1`,
        [String(otherStore)],
      )) as unknown[];
      expect(row).toEqual({
        actor_role: 'cashier',
        actor_id: merchantA.cashiers[0].id,
        action: 'store.view',
        entity_type: 'store',
        entity_id: String(otherStore),
        outcome: 'denied',
      });
      // The owner of the other merchant sees its own store.
      const ownerB = await api.request('GET', `/api/v1/my/stores/${otherStore}`, {
        token: f.token(merchantB.owner),
      });
      expect(ownerB.status).toBe(200);
    });
  });

  describe('real-name verification', () => {
    /** A valid 18-character resident ID number from 17 digits (its check digit computed). */
    const idNumber = (body17: string) => {
      const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
      const sum = [...body17].reduce((t, d, i) => t + Number(d) * weights[i], 0);
      return body17 + '10X98765432'[sum % 11];
    };
    const VERIFY = '/api/v1/auth/citizen/verification';
    const verify = (token: string, id: string) =>
      api.request('POST', VERIFY, { token, body: { idNumber: id } });
    const hashOf = async (citizenId: number) =>
      (
        (await api.dataSource.query(`SELECT id_number_hash FROM citizen WHERE id = $1`, [citizenId])) as {
          id_number_hash: string | null;
        }[]
      )[0].id_number_hash;

    it('binds an ID number once: the same one again is a no-op, another one is refused, audited', async () => {
      const seed = String(process.pid).padStart(7, '0').slice(-7);
      const first = idNumber(`3205081990${seed}`);
      const second = idNumber(`3205081991${seed}`);
      const a = await f.citizen();
      const b = await f.citizen();
      const ok = await verify(a.token, first);
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ id: a.id, verified: true });
      const bound = await hashOf(a.id);
      expect(bound).not.toBeNull();
      expect((await verify(a.token, first)).status).toBe(200);

      // A verified account cannot move to another ID number (which would free the first one).
      const again = await verify(a.token, second);
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('AUTH_ALREADY_VERIFIED');
      expect(await hashOf(a.id)).toBe(bound);
      // So the first ID number stays taken for every other phone.
      const taken = await verify(b.token, first);
      expect(taken.status).toBe(409);
      expect(taken.body.code).toBe('AUTH_ID_NUMBER_TAKEN');
      expect(await hashOf(b.id)).toBeNull();

      const audit = (await api.dataSource.query(
        `SELECT actor_id, outcome, details FROM audit_log WHERE action = 'citizen.verify' AND actor_id IN ($1, $2)
          ORDER BY id`,
        [a.id, b.id],
      )) as { actor_id: number; outcome: string; details: Record<string, unknown> }[];
      expect(audit).toEqual([
        { actor_id: a.id, outcome: 'ok', details: { result: 'verified' } },
        { actor_id: a.id, outcome: 'ok', details: { result: 'already_verified' } },
        { actor_id: a.id, outcome: 'denied', details: { reason: 'AUTH_ALREADY_VERIFIED' } },
        { actor_id: b.id, outcome: 'denied', details: { reason: 'AUTH_ID_NUMBER_TAKEN' } },
      ]);
      // Neither the number nor its hash reaches the audit log.
      expect(JSON.stringify(audit)).not.toContain(first.slice(0, 10));
      expect(JSON.stringify(audit)).not.toContain(bound);
    });

    it('binds one of two accounts racing for the same ID number', async () => {
      const id = idNumber(`3205061985${String(process.pid).padStart(7, '0').slice(-7)}`);
      const c1 = await f.citizen();
      const c2 = await f.citizen();
      const answers = await Promise.all([verify(c1.token, id), verify(c2.token, id)]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(answers.find((r) => r.status === 409)!.body.code).toBe('AUTH_ID_NUMBER_TAKEN');
    });
  });

  describe('personal data', () => {
    it('shows staff only masked phone numbers', async () => {
      const phone = '13987654321';
      const owner = await api.request('POST', '/api/v1/my/merchant/cashiers', {
        token: f.token(merchantA.owner),
        body: {
          username: `cashier-masked-${process.pid}`,
          password: 'Cashier-password-3',
          displayName: '收银员',
          storeId: merchantA.merchant.stores[0].id,
        },
      });
      expect(owner.status).toBe(201);
      await api.dataSource.query(`UPDATE staff_account SET phone = $2 WHERE id = $1`, [owner.body.id, phone]);
      const { username, password, actor } = await f.staff('operator', { phone });
      const raw = (
        (await api.dataSource.query(`SELECT contact_phone FROM merchant WHERE id = $1`, [
          merchantA.merchant.id,
        ])) as {
          contact_phone: string;
        }[]
      )[0].contact_phone;

      const responses = [
        await staffSignIn(username, password),
        await api.request('GET', ME, { token: f.token(actor) }),
        await api.request('GET', `/api/v1/merchants/${merchantA.merchant.id}`, { token: f.token(actor) }),
        await api.request('GET', '/api/v1/merchants?limit=200', { token: f.token(actor) }),
        await api.request('GET', '/api/v1/my/merchant', { token: f.token(merchantA.owner) }),
        await api.request('GET', '/api/v1/my/merchant/staff', { token: f.token(merchantA.owner) }),
      ];
      for (const res of responses) {
        expect(res.status).toBe(200);
        const text = JSON.stringify(res.body);
        expect(text).not.toContain(phone);
        expect(text).not.toContain(raw);
      }
      expect(responses[0].body.staff.phoneMasked).toBe('139****4321');
      expect(responses[2].body.contactPhoneMasked).toBe(`${raw.slice(0, 3)}****${raw.slice(7)}`);
      expect(responses[5].body.find((s: { id: number }) => s.id === owner.body.id).phoneMasked).toBe(
        '139****4321',
      );
    });
  });
});

describe('request limits on sign-in (RATE_LIMIT_ENABLED)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await TestApi.start({ env: { RATE_LIMIT_ENABLED: 'true', OTP_MAX_PER_IP_PER_HOUR: '3' } });
  });
  afterAll(() => api.close());

  it('answers 429 RATE_LIMITED after 20 staff sign-ins a minute from one address', async () => {
    const ip = { 'x-forwarded-for': `10.${process.pid % 250}.${Date.now() % 250}.7` };
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const res = await api.request('POST', SIGN_IN, {
        body: { username: 'nobody-here', password: 'x' },
        headers: ip,
      });
      statuses.push(res.status);
      if (res.status === 429) expect(res.body).toEqual({ code: 'RATE_LIMITED', message: expect.any(String) });
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses[20]).toBe(429);
  });

  it('sends at most OTP_MAX_PER_IP_PER_HOUR codes to one address', async () => {
    const ip = { 'x-forwarded-for': `10.${process.pid % 250}.${Date.now() % 250}.8` };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await api.request('POST', CODE, { body: { phone: uniqPhone() }, headers: ip })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
