import { loadConfig } from '@jinli/platform';
import { migrate, revert } from '../db/migrate';

/** `npm run migrate` applies pending migrations; `npm run migrate -- --revert [n]` reverts the last n. */
async function main(): Promise<void> {
  const config = loadConfig();
  const i = process.argv.indexOf('--revert');
  if (i >= 0) {
    await revert(config, Number(process.argv[i + 1] ?? 1), console.log);
  } else {
    const applied = await migrate(config, console.log);
    console.log(applied.length ? `${applied.length} migration(s) applied` : 'schema is up to date');
  }
}

main().catch((e: unknown) => {
  console.error((e as Error).message ?? e);
  process.exit(1);
});
