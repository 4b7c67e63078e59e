import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Runs an entry point the way `node dist/...` would, with the given environment on top of ours. */
function start(entry: string, env: Record<string, string>) {
  const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('start-up refuses a bad configuration before connecting to anything', () => {
  it.each(['apps/api/src/main.ts', 'apps/worker/src/main.ts'])(
    '%s stops on a malformed variable, naming it',
    (entry) => {
      // An address nothing listens on: reaching it would hang or fail differently.
      const r = start(entry, { PORT: 'eighty', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe('Invalid configuration:\n  - PORT must be an integer number (got "eighty")\n');
      expect(r.stdout).toBe('');
    },
  );

  it('the API refuses the development secrets in production, naming each', () => {
    const r = start('apps/api/src/main.ts', {
      NODE_ENV: 'production',
      JWT_SECRET: '',
      ID_HASH_SALT: '',
      VOUCHER_CODE_KEYS: '',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      [
        'Invalid configuration:',
        '  - JWT_SECRET must be set to a real secret in production (the development default is refused)',
        '  - ID_HASH_SALT must be set to a real secret in production (the development default is refused)',
        '  - VOUCHER_CODE_KEYS must be set to a real secret in production (the development default is refused)',
        '',
      ].join('\n'),
    );
  });
});
