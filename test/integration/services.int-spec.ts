import { ensureServices } from '../../scripts/lib/services';
import { BASE_DATABASE_URL, BASE_REDIS_URL } from '../setup/test-databases';

/** How `npm start` and `npm test` find PostgreSQL and Redis when they are told where to look. */
describe('ensureServices', () => {
  const quiet = () => undefined;

  it('uses DATABASE_URL and REDIS_URL as given when they answer, and starts nothing', async () => {
    const services = await ensureServices(
      { DATABASE_URL: BASE_DATABASE_URL, REDIS_URL: BASE_REDIS_URL },
      quiet,
    );
    expect(services).toMatchObject({ databaseUrl: BASE_DATABASE_URL, redisUrl: BASE_REDIS_URL, notes: [] });
    await services.stop();
  });

  it('stops with a message when DATABASE_URL does not answer, instead of starting its own', async () => {
    await expect(
      ensureServices(
        { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', REDIS_URL: BASE_REDIS_URL },
        quiet,
      ),
    ).rejects.toThrow('PostgreSQL at DATABASE_URL does not answer');
  });

  it('stops with a message when REDIS_URL does not answer', async () => {
    await expect(
      ensureServices({ DATABASE_URL: BASE_DATABASE_URL, REDIS_URL: 'redis://127.0.0.1:1/0' }, quiet),
    ).rejects.toThrow('Redis at REDIS_URL does not answer');
  });
});
