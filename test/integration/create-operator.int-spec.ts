import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { TestApi, uniq } from '@jinli/testing';
import { runCreateOperator, USAGE } from '../../scripts/create-operator';

const ROOT = join(__dirname, '..', '..');

describe('npm run create-operator', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(() => api.close());

  const name = () => uniq('op').replace(/[^A-Za-z0-9_.-]/g, '');
  async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCreateOperator(
      argv,
      { ...process.env, ...env },
      (l) => out.push(l),
      (l) => err.push(l),
    );
    return { code, out, err };
  }
  const accounts = async (username: string) =>
    (await api.dataSource.query(
      `SELECT id, role, display_name, merchant_id, store_id FROM staff_account WHERE lower(username) = lower($1)`,
      [username],
    )) as { id: number; role: string; display_name: string }[];

  it('creates an operator who can sign in and reach the issuing routes, and audits it', async () => {
    const username = name();
    const r = await run(['--username', username, '--name', '张敏'], { JINLI_PASSWORD: 'Operator-pass-2020' });
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const [account] = await accounts(username);
    expect(account).toMatchObject({
      role: 'operator',
      display_name: '张敏',
      merchant_id: null,
      store_id: null,
    });
    expect(r.out).toEqual([
      `operator ${username} created (id ${account.id}); sign in at POST /api/v1/auth/staff/sign-in`,
    ]);

    const signIn = await api.request('POST', '/api/v1/auth/staff/sign-in', {
      body: { username, password: 'Operator-pass-2020' },
    });
    expect(signIn.status).toBe(200);
    expect(signIn.body.staff).toMatchObject({ id: account.id, role: 'operator' });
    const funders = await api.request('GET', '/api/v1/funders', { token: signIn.body.accessToken });
    expect(funders.status).toBe(200);

    const audit = (await api.dataSource.query(
      `SELECT action, outcome, details FROM audit_log WHERE entity_type = 'staff_account' AND entity_id = $1`,
      [String(account.id)],
    )) as unknown[];
    expect(audit).toEqual([{ action: 'staff.create_operator_cli', outcome: 'ok', details: { username } }]);
  });

  it('takes the password from --password too, and the display name defaults to the username', async () => {
    const username = name();
    expect((await run(['--username', username, '--password', 'Operator-pass-2020'])).code).toBe(0);
    expect((await accounts(username))[0].display_name).toBe(username);
  });

  it('refuses a taken username (in any case), leaving the first account alone', async () => {
    const username = name();
    await run(['--username', username], { JINLI_PASSWORD: 'Operator-pass-2020' });
    const again = await run(['--username', username.toUpperCase()], { JINLI_PASSWORD: 'Other-pass-2020' });
    expect(again).toEqual({ code: 1, out: [], err: [`The username ${username.toUpperCase()} is taken`] });
    expect(await accounts(username)).toHaveLength(1);
  });

  it.each([
    [[], {}, USAGE],
    [['--username', 'zhangmin'], {}, USAGE],
    [
      ['--username', 'zh'],
      { JINLI_PASSWORD: 'Operator-pass-2020' },
      'The username must be 3-64 letters, digits, _ . or -',
    ],
    [
      ['--username', 'zhang min'],
      { JINLI_PASSWORD: 'Operator-pass-2020' },
      'The username must be 3-64 letters, digits, _ . or -',
    ],
    [
      ['--username', 'zhangmin-weak'],
      { JINLI_PASSWORD: 'password' },
      'The password needs at least 10 characters with a letter and a digit',
    ],
    [
      ['--username', 'zhangmin', '--role', 'finance'],
      { JINLI_PASSWORD: 'Operator-pass-2020' },
      "Unknown option '--role'",
    ],
  ] as [string[], Record<string, string>, string][])(
    'refuses %j with a message and exit code 1',
    async (argv, env, message) => {
      const before = (await api.dataSource.query(`SELECT count(*)::int AS n FROM staff_account`)) as {
        n: number;
      }[];
      const r = await run(argv, env);
      expect(r.code).toBe(1);
      expect(r.out).toEqual([]);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toContain(message);
      const after = (await api.dataSource.query(`SELECT count(*)::int AS n FROM staff_account`)) as {
        n: number;
      }[];
      expect(after).toEqual(before);
    },
  );

  it('runs as a command: exit code 0 and a line on stdout, or 1 and the reason on stderr', () => {
    const username = name();
    const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
    const script = join(ROOT, 'scripts', 'create-operator.ts');
    const env = { ...process.env, JINLI_PASSWORD: 'Operator-pass-2020' };
    const ok = spawnSync(tsx, [script, '--username', username], { cwd: ROOT, env, encoding: 'utf8' });
    expect({ status: ok.status, stderr: ok.stderr }).toEqual({ status: 0, stderr: '' });
    expect(ok.stdout).toMatch(new RegExp(`^operator ${username} created \\(id \\d+\\)`));
    const taken = spawnSync(tsx, [script, '--username', username], { cwd: ROOT, env, encoding: 'utf8' });
    expect({ status: taken.status, stdout: taken.stdout, stderr: taken.stderr }).toEqual({
      status: 1,
      stdout: '',
      stderr: `The username ${username} is taken\n`,
    });
  });
});
