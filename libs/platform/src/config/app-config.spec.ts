import { ConfigError, DEV_SECRETS, loadConfig } from './app-config';

const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected the configuration to be refused');
};

const REAL_SECRETS = {
  JWT_SECRET: 'a'.repeat(48),
  ID_HASH_SALT: 'b'.repeat(48),
  VOUCHER_CODE_KEYS: `k2:${'c'.repeat(40)}`,
};

describe('loadConfig', () => {
  it('runs on a developer machine with no variables at all', () => {
    const sut = loadConfig({});
    expect(sut).toMatchObject({
      env: 'development',
      database: { url: 'postgres://postgres@127.0.0.1:5432/jinli', poolSize: 20 },
      redis: { url: 'redis://127.0.0.1:6379/0', keyPrefix: 'jinli:', commandTimeoutMs: 5000 },
      http: {
        host: '127.0.0.1',
        port: 3000,
        bodyLimitBytes: 65_536,
        openApi: true,
        rateLimit: true,
        trustProxy: false,
      },
      businessTimeZone: 'Asia/Shanghai',
      auth: {
        jwtSecret: DEV_SECRETS.JWT_SECRET,
        staffTokenTtlS: 28_800,
        citizenTokenTtlS: 604_800,
        otpTtlS: 300,
        otpMaxAttempts: 5,
        otpResendIntervalS: 60,
        otpMaxPerIpPerHour: 30,
        loginMaxFailures: 5,
        loginLockS: 900,
        smsSender: 'console',
      },
      voucherCodes: {
        keys: [{ id: 'k1', secret: DEV_SECRETS.VOUCHER_CODE_KEYS.slice(3) }],
        deploymentTag: 'dev',
      },
    });
  });

  it('reads and converts the variables it is given', () => {
    const sut = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgresql://jinli:pw@db.internal:5433/jinli_prod',
      REDIS_URL: 'rediss://cache.internal:6380/2',
      OPENAPI_ENABLED: 'false',
      RATE_LIMIT_ENABLED: '0',
      BUSINESS_TZ: 'Asia/Urumqi',
      VOUCHER_CODE_KEYS: `k2:${'x'.repeat(32)},k1:${'y'.repeat(32)}`,
      LOGIN_LOCK_S: '60',
    });
    expect(sut.http).toEqual({
      host: '0.0.0.0',
      port: 8080,
      bodyLimitBytes: 65_536,
      openApi: false,
      rateLimit: false,
      trustProxy: false,
      metricsToken: null,
    });
    expect(sut.database.url).toBe('postgresql://jinli:pw@db.internal:5433/jinli_prod');
    expect(sut.redis.url).toBe('rediss://cache.internal:6380/2');
    expect(sut.businessTimeZone).toBe('Asia/Urumqi');
    expect(sut.voucherCodes.keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(sut.auth.loginLockS).toBe(60);
  });

  it('believes X-Forwarded-For only as told (TRUST_PROXY)', () => {
    expect(loadConfig({}).http.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).http.trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).http.trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
    expect(() => loadConfig({ TRUST_PROXY: 'yes please' })).toThrow(/TRUST_PROXY/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).http.port).toBe(3000);
  });

  it.each([
    [
      'DATABASE_URL',
      'mysql://localhost/jinli',
      'DATABASE_URL must be a postgres:// URL (got "mysql://localhost/jinli")',
    ],
    ['REDIS_URL', 'localhost:6379', 'REDIS_URL must be a redis:// URL (got "localhost:6379")'],
    ['PORT', 'eighty', 'PORT must be an integer number (got "eighty")'],
    ['PORT', '70000', 'PORT must not be greater than 65535 (got "70000")'],
    ['PORT', '3000.5', 'PORT must be an integer number'],
    ['DATABASE_POOL_SIZE', '0', 'DATABASE_POOL_SIZE must not be less than 1 (got "0")'],
    ['BODY_LIMIT_BYTES', '1', 'BODY_LIMIT_BYTES must not be less than 1024 (got "1")'],
    [
      'NODE_ENV',
      'staging',
      'NODE_ENV must be one of the following values: development, test, production (got "staging")',
    ],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL must be one of the following values'],
    ['BUSINESS_TZ', 'Mars/Olympus', 'BUSINESS_TZ is not a known IANA time zone (got "Mars/Olympus")'],
    ['OPENAPI_ENABLED', 'yes', 'OPENAPI_ENABLED must be a boolean value'],
    ['SMS_SENDER', 'carrier-pigeon', 'SMS_SENDER must be one of the following values: console, memory'],
    ['OTP_TTL_S', '5', 'OTP_TTL_S must not be less than 30 (got "5")'],
    ['LOGIN_MAX_FAILURES', '-1', 'LOGIN_MAX_FAILURES must not be less than 1 (got "-1")'],
    ['DEPLOYMENT_TAG', 'has spaces', 'DEPLOYMENT_TAG must be 1-16 letters, digits or -'],
    ['REDIS_KEY_PREFIX', 'a b', 'REDIS_KEY_PREFIX must be letters, digits, _ or -, optionally ending in :'],
  ])('stops on a malformed %s, naming it', (name, value, message) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
    expect(problems[0].startsWith(`${name} `)).toBe(true);
    expect(problems[0].startsWith(`${name} ${name}`)).toBe(false);
  });

  it('names every bad variable at once, and never prints a secret', () => {
    const problems = problemsOf({ PORT: 'x', JWT_SECRET: 'short-secret', VOUCHER_CODE_KEYS: 'nokey' });
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(['JWT_SECRET', 'PORT', 'VOUCHER_CODE_KEYS']);
    expect(problems.join('\n')).not.toContain('short-secret');
    expect(problems.join('\n')).not.toContain('nokey');
    expect(problems.find((p) => p.startsWith('JWT_SECRET'))).toContain('(got (hidden))');
  });

  it('has a message a person can act on', () => {
    expect(() => loadConfig({ DATABASE_URL: 'nope' })).toThrow(
      'Invalid configuration:\n  - DATABASE_URL must be a postgres:// URL (got "nope")',
    );
  });

  describe('NODE_ENV=production', () => {
    it('refuses to start with the development secrets, naming each', () => {
      const problems = problemsOf({ NODE_ENV: 'production' });
      expect(problems).toEqual([
        'JWT_SECRET must be set to a real secret in production (the development default is refused)',
        'ID_HASH_SALT must be set to a real secret in production (the development default is refused)',
        'VOUCHER_CODE_KEYS must be set to a real secret in production (the development default is refused)',
      ]);
    });

    it('refuses a development secret even when it is set explicitly', () => {
      const problems = problemsOf({
        NODE_ENV: 'production',
        ...REAL_SECRETS,
        JWT_SECRET: DEV_SECRETS.JWT_SECRET,
      });
      expect(problems).toEqual([
        'JWT_SECRET must be set to a real secret in production (the development default is refused)',
      ]);
    });

    it('starts with real secrets', () => {
      const sut = loadConfig({ NODE_ENV: 'production', ...REAL_SECRETS });
      expect(sut.env).toBe('production');
      expect(sut.auth.jwtSecret).toBe(REAL_SECRETS.JWT_SECRET);
      expect(sut.voucherCodes.keys).toEqual([{ id: 'k2', secret: 'c'.repeat(40) }]);
    });

    it('still refuses a short secret', () => {
      expect(problemsOf({ NODE_ENV: 'production', ...REAL_SECRETS, ID_HASH_SALT: 'salt' })).toEqual([
        'ID_HASH_SALT must be longer than or equal to 32 characters (got (hidden))',
      ]);
    });
  });
});
