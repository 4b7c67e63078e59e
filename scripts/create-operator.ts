import { parseArgs } from 'node:util';
import { AuditService, loadConfig, PasswordHasher, PASSWORD_RULE, SystemClock } from '@jinli/platform';
import { createDataSource } from '../db/data-source';
import { migrate } from '../db/migrate';

/**
 * Creates an operator account, the first one of a new deployment:
 *   npm run create-operator -- --username zhangmin --name "张敏"   (password from JINLI_PASSWORD or --password)
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { username: { type: 'string' }, name: { type: 'string' }, password: { type: 'string' } },
  });
  const password = values.password ?? process.env.JINLI_PASSWORD;
  if (!values.username || !password) {
    throw new Error(
      'usage: npm run create-operator -- --username <name> [--name <display name>] (password in JINLI_PASSWORD or --password)',
    );
  }
  if (!PASSWORD_RULE.test(password))
    throw new Error('The password needs at least 10 characters with a letter and a digit');
  const config = loadConfig();
  await migrate(config);
  const ds = createDataSource(config);
  await ds.initialize();
  try {
    const hash = await new PasswordHasher().hash(password);
    const rows = (await ds.query(
      `INSERT INTO staff_account (username, password_hash, role, display_name) VALUES ($1, $2, 'operator', $3)
       ON CONFLICT DO NOTHING RETURNING id`,
      [values.username, hash, values.name ?? values.username],
    )) as { id: number }[];
    if (!rows.length) throw new Error(`The username ${values.username} is taken`);
    await new AuditService(ds, new SystemClock()).record({
      action: 'staff.create_operator_cli',
      entityType: 'staff_account',
      entityId: rows[0].id,
      details: { username: values.username },
    });
    console.log(`operator ${values.username} created (id ${rows[0].id})`);
  } finally {
    await ds.destroy();
  }
}

main().catch((e: unknown) => {
  console.error((e as Error).message ?? e);
  process.exit(1);
});
