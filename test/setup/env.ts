import { databaseName, databaseUrl, redisUrl } from './test-databases';

// Runs in each jest worker before every test file: point Jinli at this worker's database and Redis.
const worker = Number(process.env.JEST_WORKER_ID ?? 1);
process.env.NODE_ENV = 'test';
process.env.DATABASE_URL = databaseUrl(databaseName(`w${worker}`));
process.env.REDIS_URL = redisUrl(worker);
process.env.REDIS_KEY_PREFIX = 'jt:';
process.env.LOG_LEVEL = process.env.JINLI_TEST_LOG ?? 'silent';
process.env.SMS_SENDER = 'memory';
process.env.OTP_RESEND_INTERVAL_S = '0';
// Limits keyed by client address would trip across test files (every inject comes from 127.0.0.1);
// the tests of those limits turn them back on for their own TestApi.
process.env.RATE_LIMIT_ENABLED = 'false';
process.env.OTP_MAX_PER_IP_PER_HOUR = '100000';
process.env.DATABASE_POOL_SIZE = process.env.DATABASE_POOL_SIZE ?? '10';
// Tests stand in for a proxy: they set X-Forwarded-For to act as several client addresses.
process.env.TRUST_PROXY = 'true';
