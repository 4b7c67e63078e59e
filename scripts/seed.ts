import { loadConfig } from '@jinli/platform';
import { createDataSource } from '../db/data-source';
import { migrate } from '../db/migrate';
import { isEmpty, seedSuzhouDemo } from '../db/seeds/suzhou-demo';

/** `npm run seed`: loads the Suzhou demo data into an empty database (refuses a non-empty one). */
async function main(): Promise<void> {
  const config = loadConfig();
  if (config.env === 'production') throw new Error('The demo seed never runs with NODE_ENV=production');
  await migrate(config, console.log);
  const ds = createDataSource(config);
  await ds.initialize();
  try {
    if (!(await isEmpty(ds))) {
      console.log('The database already holds data; the demo seed only fills an empty one.');
      return;
    }
    const summary = await seedSuzhouDemo(ds, new Date());
    console.log(`demo data loaded: ${JSON.stringify(summary)}`);
  } finally {
    await ds.destroy();
  }
}

main().catch((e: unknown) => {
  console.error((e as Error).message ?? e);
  process.exit(1);
});
