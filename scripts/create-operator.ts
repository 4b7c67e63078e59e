import { parseArgs } from 'node:util';
import {
  AppConfig,
  AuditService,
  loadConfig,
  PasswordHasher,
  PASSWORD_RULE,
  SystemClock,
} from '@jinli/platform';
import { createDataSource } from '../db/data-source';
import { migrate } from '../db/migrate';

export const USAGE =
  'usage: npm run create-operator -- --username <name> [--name <display name>] (password in JINLI_PASSWORD or --password)';

const USERNAME_RULE = /^[A-Za-z0-9_.-]{3,64}$/;

export class CliError extends Error {}

/** Creates an operator account (migrating the database first). Returns its id. */
export async function createOperator(
  config: AppConfig,
  input: { username: string; password: string; displayName?: string },
): Promise<number> {
  if (!USERNAME_RULE.test(input.username)) {
    throw new CliError('The username must be 3-64 letters, digits, _ . or -');
  }
  if (!PASSWORD_RULE.test(input.password)) {
    throw new CliError('The password needs at least 10 characters with a letter and a digit');
  }
  const displayName = (input.displayName ?? input.username).trim();
  if (displayName.length < 1 || displayName.length > 50)
    throw new CliError('The name must be 1-50 characters');
  await migrate(config);
  const ds = createDataSource(config, 'jinli-create-operator');
  await ds.initialize();
  try {
    const hash = await new PasswordHasher().hash(input.password);
    return await ds.transaction(async (m) => {
      const rows = (await m.query(
        `INSERT INTO staff_account (username, password_hash, role, display_name) VALUES ($1, $2, 'operator', $3)
         ON CONFLICT DO NOTHING RETURNING id`,
        [input.username, hash, displayName],
      )) as { id: number }[];
      if (!rows.length) throw new CliError(`The username ${input.username} is taken`);
      await new AuditService(ds, new SystemClock()).record(
        {
          action: 'staff.create_operator_cli',
          entityType: 'staff_account',
          entityId: rows[0].id,
          details: { username: input.username },
        },
        m,
      );
      return rows[0].id;
    });
  } finally {
    await ds.destroy();
  }
}

/**
 * Creates an operator account, the first one of a new deployment:
 *   JINLI_PASSWORD='...' npm run create-operator -- --username zhangmin --name "张敏"
 * Returns the process exit code; messages go to `out` and `err`.
 */
export async function runCreateOperator(
  argv: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { username: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' } },
    });
    const password = values.password ?? env.JINLI_PASSWORD;
    if (!values.username || !password) throw new CliError(USAGE);
    const id = await createOperator(loadConfig(env), {
      username: values.username,
      password,
      displayName: values.name,
    });
    out(`operator ${values.username} created (id ${id}); sign in at POST /api/v1/auth/staff/sign-in`);
    return 0;
  } catch (e) {
    err(e instanceof Error ? e.message : String(e));
    return 1;
  }
}

if (require.main === module) {
  void runCreateOperator(process.argv.slice(2), process.env).then((code) => process.exit(code));
}
