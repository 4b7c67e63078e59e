import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

/** Secrets that only make sense on a developer machine. Production refuses to start with them. */
export const DEV_SECRETS = {
  JWT_SECRET: 'dev-only-jwt-secret-do-not-use-in-production',
  ID_HASH_SALT: 'dev-only-id-hash-salt-do-not-use-in-production',
  VOUCHER_CODE_KEYS: 'k1:dev-only-voucher-code-key-do-not-use-in-production',
} as const;

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }) =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;

/** The environment variables Jinli reads. The property name is the variable name. */
class Environment {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV = 'development';

  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/jinli';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(500)
  DATABASE_POOL_SIZE = 20;

  @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379/0';

  /** Every Redis key Jinli writes starts with this, so several deployments can share one Redis. */
  @Matches(/^[a-z0-9_-]*:?$/i, { message: 'must be letters, digits, _ or -, optionally ending in :' })
  REDIS_KEY_PREFIX = 'jinli:';

  /**
   * A Redis command not answered within this many ms fails (a claim gets 503, try again) instead of
   * waiting for TCP to notice a connection that died silently. Milliseconds.
   */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  @Max(60_000)
  REDIS_COMMAND_TIMEOUT_MS = 5000;

  @IsOptional()
  @IsString()
  HOST = '127.0.0.1';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  /** Largest accepted request body; larger ones get 413. */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  @Max(10 * 1024 * 1024)
  BODY_LIMIT_BYTES = 64 * 1024;

  /** IANA time zone in which business days and usage windows are read. */
  @IsString()
  @MinLength(3)
  BUSINESS_TZ = 'Asia/Shanghai';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @IsString()
  @MinLength(32)
  JWT_SECRET: string = DEV_SECRETS.JWT_SECRET;

  /** Lifetime of staff access tokens, seconds. */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(7 * 24 * 3600)
  STAFF_TOKEN_TTL_S = 8 * 3600;

  /** Lifetime of citizen access tokens, seconds. */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(90 * 24 * 3600)
  CITIZEN_TOKEN_TTL_S = 7 * 24 * 3600;

  /** Salt of the HMAC under which citizens' ID numbers are stored (never the numbers themselves). */
  @IsString()
  @MinLength(32)
  ID_HASH_SALT: string = DEV_SECRETS.ID_HASH_SALT;

  /** Voucher code signing keys, `id:secret` separated by commas; the first one signs. */
  @Matches(/^[a-z0-9]{1,8}:\S{32,}(,[a-z0-9]{1,8}:\S{32,})*$/i, {
    message: 'must be id:secret pairs separated by commas, each secret at least 32 characters',
  })
  VOUCHER_CODE_KEYS: string = DEV_SECRETS.VOUCHER_CODE_KEYS;

  /** A short tag bound into voucher codes so a code from another deployment is refused. */
  @Matches(/^[a-z0-9-]{1,16}$/i, { message: 'must be 1-16 letters, digits or -' })
  DEPLOYMENT_TAG = 'dev';

  @IsIn(['console', 'memory'])
  SMS_SENDER = 'console';

  @Transform(toInt)
  @IsInt()
  @Min(30)
  @Max(3600)
  OTP_TTL_S = 300;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(20)
  OTP_MAX_ATTEMPTS = 5;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(3600)
  OTP_RESEND_INTERVAL_S = 60;

  /** Sign-in codes one client address may request per hour (SMS costs money and can be abused). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  OTP_MAX_PER_IP_PER_HOUR = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  LOGIN_MAX_FAILURES = 5;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(24 * 3600)
  LOGIN_LOCK_S = 15 * 60;

  /** Merchants per settlement chunk job: each chunk settles its merchants in one transaction. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  SETTLEMENT_CHUNK_MERCHANTS = 100;

  /**
   * Business days the daily (T+1) run looks at, ending yesterday: parts of those days still in the
   * pool (never settled, or released from a rejected statement) are settled by it.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(92)
  SETTLEMENT_DAILY_WINDOW_DAYS = 7;

  /** Per-address request limits on sign-in and enrolment routes (off only in tests). */
  @Transform(toBool)
  @IsBoolean()
  RATE_LIMIT_ENABLED = true;

  /**
   * Whom to believe about the client address (X-Forwarded-For), which per-address rate limits use:
   * `false` (the socket's peer), `true` (any proxy: only behind one that overwrites the header), a
   * number of proxy hops, or comma-separated proxy addresses / CIDRs.
   */
  @Matches(/^(true|false|\d{1,2}|[0-9a-f.:/]+(,[0-9a-f.:/]+)*)$/i, {
    message: 'must be true, false, a hop count, or comma-separated proxy addresses/CIDRs',
  })
  TRUST_PROXY = 'false';

  /** When set, `/metrics` answers only to `Authorization: Bearer <METRICS_TOKEN>` (the Prometheus scrape token). */
  @IsOptional()
  @IsString()
  @MinLength(16)
  METRICS_TOKEN?: string;

  /** Whether `/docs` serves the OpenAPI UI. */
  @Transform(toBool)
  @IsBoolean()
  OPENAPI_ENABLED = true;

  /** Claims collected for at most this many milliseconds before one multi-row insert. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(100)
  CLAIM_WRITER_WINDOW_MS = 2;

  /** Largest number of claims written by one insert. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(5000)
  CLAIM_WRITER_MAX_BATCH = 500;

  /** Inserts of claims in flight at once per API process (each holds one database connection). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  CLAIM_WRITER_CONCURRENCY = 4;

  /**
   * Claims decided by one call of the gate's reserve script. Claims that arrive in one turn of the
   * event loop go to Redis together: a group is sent once it holds this many, the rest when the turn
   * ends.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  CLAIM_GATE_MAX_BATCH = 32;

  /** Rate-limit window of the claim route, seconds. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(3600)
  CLAIM_RATE_WINDOW_S = 10;

  /** Claim attempts one citizen may make per batch and window. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  CLAIM_RATE_PER_CITIZEN = 20;

  /** Claim attempts one IP address may make per batch and window (mobile networks share addresses). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  CLAIM_RATE_PER_IP = 1000;

  /** How long a process trusts its in-memory sold-out flag before asking Redis again, milliseconds. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60_000)
  CLAIM_SOLDOUT_TTL_MS = 1000;

  /** A reservation without a voucher row older than this is returned by reconciliation, seconds. */
  @Transform(toInt)
  @IsInt()
  @Min(10)
  @Max(24 * 3600)
  CLAIM_RECONCILE_GRACE_S = 120;

  /**
   * Forged voucher codes (a signature that does not match) counted per window: a scan is refused
   * once the cashier, the store or the merchant has sent this many in the current window.
   */
  @Transform(toInt)
  @IsInt()
  @Min(60)
  @Max(24 * 3600)
  REDEMPTION_FORGED_WINDOW_S = 600;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  REDEMPTION_FORGED_PER_CASHIER = 10;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  REDEMPTION_FORGED_PER_STORE = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  REDEMPTION_FORGED_PER_MERCHANT = 100;

  /**
   * A second voucher of the same citizen at the same store within this many seconds is refused
   * unless both redemptions name different orders (`orderRef`); 0 turns the guard off.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(24 * 3600)
  REDEMPTION_REPEAT_WINDOW_S = 120;

  /** Mounts the benchmark-only naive claim route (bypasses the Redis gate). Benchmarks only: leave off. */
  @Transform(toBool)
  @IsBoolean()
  CLAIM_BENCH_ROUTES = false;
}

export interface AppConfig {
  env: 'development' | 'test' | 'production';
  database: { url: string; poolSize: number };
  redis: { url: string; keyPrefix: string; commandTimeoutMs: number };
  http: {
    host: string;
    port: number;
    bodyLimitBytes: number;
    openApi: boolean;
    rateLimit: boolean;
    trustProxy: boolean | number | string[];
    metricsToken: string | null;
  };
  businessTimeZone: string;
  logLevel: string;
  auth: {
    jwtSecret: string;
    staffTokenTtlS: number;
    citizenTokenTtlS: number;
    idHashSalt: string;
    otpTtlS: number;
    otpMaxAttempts: number;
    otpResendIntervalS: number;
    otpMaxPerIpPerHour: number;
    loginMaxFailures: number;
    loginLockS: number;
    smsSender: 'console' | 'memory';
  };
  voucherCodes: { keys: { id: string; secret: string }[]; deploymentTag: string };
  claiming: {
    writerWindowMs: number;
    writerMaxBatch: number;
    writerConcurrency: number;
    gateMaxBatch: number;
    rateWindowS: number;
    ratePerCitizen: number;
    ratePerIp: number;
    soldOutTtlMs: number;
    reconcileGraceS: number;
    benchRoutes: boolean;
  };
  settlement: { chunkMerchants: number; dailyWindowDays: number };
  redemption: {
    forgedWindowS: number;
    forgedPerCashier: number;
    forgedPerStore: number;
    forgedPerMerchant: number;
    repeatWindowS: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment once; throws a ConfigError naming every bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const defined: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) if (v !== undefined && v !== '') defined[k] = v;
  const env = plainToInstance(Environment, defined, { exposeDefaultValues: true });
  const problems: string[] = [];
  for (const error of validateSync(env, { forbidUnknownValues: false })) {
    const got = defined[error.property];
    const shown = error.property.match(/SECRET|SALT|KEYS|TOKEN/) ? '(hidden)' : JSON.stringify(got);
    // A value of the wrong type gets only that complaint ("eighty" is not "greater than 65535").
    const constraints = error.constraints ?? {};
    const typeCheck = ['isInt', 'isBoolean', 'isString'].find((k) => k in constraints);
    const messages = typeCheck ? [constraints[typeCheck]] : Object.values(constraints);
    // class-validator's own messages start with the name; ours do not. Say it once.
    const said = messages.map((m) =>
      m.startsWith(`${error.property} `) ? m.slice(error.property.length + 1) : m,
    );
    problems.push(`${error.property} ${said.join('; ')} (got ${shown})`);
  }
  if (env.NODE_ENV === 'production') {
    for (const name of Object.keys(DEV_SECRETS) as (keyof typeof DEV_SECRETS)[]) {
      if (env[name] === DEV_SECRETS[name] || !defined[name]) {
        problems.push(
          `${name} must be set to a real secret in production (the development default is refused)`,
        );
      }
    }
  }
  if (!isValidTimeZone(env.BUSINESS_TZ))
    problems.push(`BUSINESS_TZ is not a known IANA time zone (got "${env.BUSINESS_TZ}")`);
  if (problems.length) throw new ConfigError(problems);

  const keys = env.VOUCHER_CODE_KEYS.split(',').map((pair) => {
    const at = pair.indexOf(':');
    return { id: pair.slice(0, at), secret: pair.slice(at + 1) };
  });
  return {
    env: env.NODE_ENV as AppConfig['env'],
    database: { url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE },
    redis: {
      url: env.REDIS_URL,
      keyPrefix: env.REDIS_KEY_PREFIX,
      commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
    },
    http: {
      host: env.HOST,
      port: env.PORT,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      openApi: env.OPENAPI_ENABLED,
      rateLimit: env.RATE_LIMIT_ENABLED,
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
      metricsToken: env.METRICS_TOKEN ?? null,
    },
    businessTimeZone: env.BUSINESS_TZ,
    logLevel: env.LOG_LEVEL,
    auth: {
      jwtSecret: env.JWT_SECRET,
      staffTokenTtlS: env.STAFF_TOKEN_TTL_S,
      citizenTokenTtlS: env.CITIZEN_TOKEN_TTL_S,
      idHashSalt: env.ID_HASH_SALT,
      otpTtlS: env.OTP_TTL_S,
      otpMaxAttempts: env.OTP_MAX_ATTEMPTS,
      otpResendIntervalS: env.OTP_RESEND_INTERVAL_S,
      otpMaxPerIpPerHour: env.OTP_MAX_PER_IP_PER_HOUR,
      loginMaxFailures: env.LOGIN_MAX_FAILURES,
      loginLockS: env.LOGIN_LOCK_S,
      smsSender: env.SMS_SENDER as 'console' | 'memory',
    },
    voucherCodes: { keys, deploymentTag: env.DEPLOYMENT_TAG },
    claiming: {
      writerWindowMs: env.CLAIM_WRITER_WINDOW_MS,
      writerMaxBatch: env.CLAIM_WRITER_MAX_BATCH,
      writerConcurrency: env.CLAIM_WRITER_CONCURRENCY,
      gateMaxBatch: env.CLAIM_GATE_MAX_BATCH,
      rateWindowS: env.CLAIM_RATE_WINDOW_S,
      ratePerCitizen: env.CLAIM_RATE_PER_CITIZEN,
      ratePerIp: env.CLAIM_RATE_PER_IP,
      soldOutTtlMs: env.CLAIM_SOLDOUT_TTL_MS,
      reconcileGraceS: env.CLAIM_RECONCILE_GRACE_S,
      benchRoutes: env.CLAIM_BENCH_ROUTES,
    },
    settlement: {
      chunkMerchants: env.SETTLEMENT_CHUNK_MERCHANTS,
      dailyWindowDays: env.SETTLEMENT_DAILY_WINDOW_DAYS,
    },
    redemption: {
      forgedWindowS: env.REDEMPTION_FORGED_WINDOW_S,
      forgedPerCashier: env.REDEMPTION_FORGED_PER_CASHIER,
      forgedPerStore: env.REDEMPTION_FORGED_PER_STORE,
      forgedPerMerchant: env.REDEMPTION_FORGED_PER_MERCHANT,
      repeatWindowS: env.REDEMPTION_REPEAT_WINDOW_S,
    },
  };
}

function parseTrustProxy(value: string): boolean | number | string[] {
  if (/^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',').map((s) => s.trim());
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
