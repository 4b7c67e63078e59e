import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { AuditService } from './audit/audit.service';
import { DomainEvents } from './events/domain-events';
import { IdempotencyService } from './idempotency/idempotency.service';
import { CitizenAuthService } from './auth/citizen-auth.service';
import { PasswordHasher } from './auth/password-hasher';
import { ConsoleSmsSender, MemorySmsSender, SmsSender } from './auth/sms-sender';
import { StaffAuthService } from './auth/staff-auth.service';
import { TokenService } from './auth/token.service';
import { Clock, SystemClock } from './clock/clock';
import { AppConfig, loadConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { RedisModule } from './redis/redis.module';

export interface PlatformOptions {
  /** Validated configuration; read from the environment when absent. */
  config?: AppConfig;
  /** Every TypeORM entity of the application (see db/entities.ts). */
  entities: Function[];
  /** Name shown in pg_stat_activity and logs. */
  applicationName: string;
  /** Tests pass a ManualClock. */
  clock?: Clock;
  /** Tests pass a MemorySmsSender. */
  sms?: SmsSender;
}

/** Configuration, clock, PostgreSQL, Redis, tokens, sign-in and the audit log: what every app needs. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    const config = options.config ?? loadConfig();
    const sms: Provider =
      options.sms !== undefined
        ? { provide: SmsSender, useValue: options.sms }
        : {
            provide: SmsSender,
            useClass: config.auth.smsSender === 'memory' ? MemorySmsSender : ConsoleSmsSender,
          };
    const providers: Provider[] = [
      { provide: Clock, useValue: options.clock ?? new SystemClock() },
      sms,
      TokenService,
      PasswordHasher,
      AuditService,
      DomainEvents,
      CitizenAuthService,
      StaffAuthService,
      IdempotencyService,
    ];
    return {
      module: PlatformModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(options.entities, options.applicationName),
        RedisModule,
      ],
      providers,
      exports: [
        ...providers.map((p) => ('provide' in p ? p.provide : p)),
        ConfigModule,
        DatabaseModule,
        RedisModule,
      ],
    };
  }
}
