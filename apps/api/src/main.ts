import { ConfigError, loadConfig } from '@jinli/platform';
import { createApiApp } from './app.factory';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApiApp({ config });
  await app.listen({ port: config.http.port, host: config.http.host });
  console.log(`jinli-api listening on http://${config.http.host}:${config.http.port}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof ConfigError ? e.message : e);
  process.exit(1);
});
