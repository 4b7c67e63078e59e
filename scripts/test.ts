import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureServices } from './lib/services';

const ROOT = join(__dirname, '..', '..');
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

/**
 * `npm test`: the whole suite. Finds or starts PostgreSQL and Redis, then runs the static checks
 * (ESLint, Prettier, types: tsc for the server, vue-tsc for the pages and their .vue templates,
 * dependency direction) and jest (unit, integration, HTTP and browser tests against the real
 * services). Extra arguments go to jest: `npm test -- test/e2e`.
 */
async function main(): Promise<void> {
  const jestArgs = process.argv.slice(2);
  const services = await ensureServices(process.env);
  for (const note of services.notes) console.log(note);
  const env = {
    ...process.env,
    JINLI_TEST_DATABASE_URL: services.databaseUrl,
    JINLI_TEST_REDIS_URL: services.redisUrl,
  };
  const steps: [string, string, string[]][] = [
    ['lint', bin('eslint'), ['--max-warnings=0', '.']],
    ['format', bin('prettier'), ['--check', '--log-level=warn', '.']],
    ['types', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']],
    ['web types', bin('vue-tsc'), ['--noEmit', '-p', 'apps/web/tsconfig.json']],
    [
      'dependency direction',
      bin('depcruise'),
      ['--config', '.dependency-cruiser.cjs', 'apps', 'libs', 'db', 'scripts', 'test'],
    ],
    ['jest', bin('jest'), ['--ci', ...jestArgs]],
  ];
  const only = jestArgs.length > 0;
  let failed = '';
  for (const [name, cmd, args] of steps) {
    if (only && name !== 'jest') continue;
    console.log(`\n== ${name}`);
    const r = spawnSync(cmd, args, { cwd: ROOT, env, stdio: 'inherit' });
    if (r.status !== 0) {
      failed = name;
      break;
    }
  }
  await services.stop();
  if (failed) {
    console.error(`\nFAILED: ${failed}`);
    process.exit(1);
  }
  console.log('\nAll checks and tests passed.');
}

main().catch((e: unknown) => {
  console.error((e as Error).message ?? e);
  process.exit(1);
});
