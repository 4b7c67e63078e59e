import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { LoggerModule } from 'nestjs-pino';
import { ALL_ENTITIES } from '@jinli/db/entities';
import { ClaimingModule } from '@jinli/claiming';
import { IssuingModule } from '@jinli/issuing';
import { RedemptionModule } from '@jinli/redemption';
import { ReportingModule } from '@jinli/reporting';
import { SettlementModule } from '@jinli/settlement';
import {
  AllExceptionsFilter,
  AppConfig,
  AuditQueryService,
  AuthGuard,
  Clock,
  loadConfig,
  loggerParams,
  PlatformModule,
  QueueModule,
  RedisHealthIndicator,
  RedisService,
  SmsSender,
} from '@jinli/platform';
import { AuditLogController } from './audit/audit-log.controller';
import { AuthController } from './auth/auth.controller';
import { ClaimBenchController } from './claiming/bench.controller';
import { ClaimingOpsController } from './claiming/claiming-ops.controller';
import { CLAIM_HOT_ROUTES, ClaimsController } from './claiming/claims.controller';
import { BatchesController } from './issuing/batches.controller';
import { CampaignsController } from './issuing/campaigns.controller';
import { FundersController } from './issuing/funders.controller';
import { MerchantsController } from './issuing/merchants.controller';
import { MerchantDayController } from './redemption/merchant-day.controller';
import { MyVouchersController } from './redemption/my-vouchers.controller';
import { RedemptionsController } from './redemption/redemptions.controller';
import { ReportsController } from './reporting/reports.controller';
import { BullBoardModule } from './settlement/bull-board.module';
import { LedgerController } from './settlement/ledger.controller';
import { PayoutsController } from './settlement/payouts.controller';
import { SettlementRunsController } from './settlement/settlement-runs.controller';
import { StatementsController } from './settlement/statements.controller';
import { SystemController } from './system/health.controller';

export interface ApiOptions {
  config?: AppConfig;
  clock?: Clock;
  sms?: SmsSender;
}

@Module({})
export class ApiModule {
  static forRoot(options: ApiOptions = {}): DynamicModule {
    const config = options.config ?? loadConfig();
    return {
      module: ApiModule,
      imports: [
        PlatformModule.forRoot({
          config,
          entities: ALL_ENTITIES,
          applicationName: 'jinli-api',
          clock: options.clock,
          sms: options.sms,
        }),
        LoggerModule.forRoot(loggerParams(config, 'jinli-api', CLAIM_HOT_ROUTES)),
        QueueModule,
        TerminusModule.forRoot({ logger: false }),
        ThrottlerModule.forRootAsync({
          inject: [RedisService],
          useFactory: (redis: RedisService) => ({
            throttlers: [{ name: 'default', ttl: 60_000, limit: 60 }],
            storage: new ThrottlerStorageRedisService(redis.client),
            skipIf: () => !config.http.rateLimit,
            // Under REDIS_KEY_PREFIX like every other key, so deployments sharing a Redis keep apart.
            generateKey: (context, tracker, name) =>
              redis.key('throttle', name, context.getClass().name, context.getHandler().name, tracker),
          }),
        }),
        IssuingModule,
        ClaimingModule,
        RedemptionModule,
        SettlementModule,
        ReportingModule,
        BullBoardModule,
      ],
      controllers: [
        SystemController,
        AuthController,
        FundersController,
        CampaignsController,
        BatchesController,
        MerchantsController,
        AuditLogController,
        ClaimsController,
        ClaimingOpsController,
        ...(config.claiming.benchRoutes ? [ClaimBenchController] : []),
        RedemptionsController,
        MerchantDayController,
        MyVouchersController,
        SettlementRunsController,
        StatementsController,
        PayoutsController,
        LedgerController,
        ReportsController,
      ],
      providers: [
        RedisHealthIndicator,
        AuditQueryService,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
