import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { ALL_ENTITIES } from '@jinli/db/entities';
import { ClaimingModule } from '@jinli/claiming';
import { IssuingModule } from '@jinli/issuing';
import { RedemptionModule } from '@jinli/redemption';
import { ReportingModule } from '@jinli/reporting';
import { SettlementModule } from '@jinli/settlement';
import {
  AppConfig,
  Clock,
  JobRunnerModule,
  loadConfig,
  loggerParams,
  PlatformModule,
  QueueModule,
} from '@jinli/platform';
import { ScheduleRegistrar } from './schedule.registrar';

export interface WorkerOptions {
  config?: AppConfig;
  clock?: Clock;
}

/** The worker: BullMQ processors and schedules. Processors only decode and call a service. */
@Module({})
export class WorkerModule {
  static forRoot(options: WorkerOptions = {}): DynamicModule {
    const config = options.config ?? loadConfig();
    return {
      module: WorkerModule,
      imports: [
        PlatformModule.forRoot({
          config,
          entities: ALL_ENTITIES,
          applicationName: 'jinli-worker',
          clock: options.clock,
        }),
        LoggerModule.forRoot(loggerParams(config, 'jinli-worker')),
        QueueModule,
        JobRunnerModule,
        IssuingModule,
        ClaimingModule,
        RedemptionModule,
        SettlementModule,
        ReportingModule,
      ],
      providers: [ScheduleRegistrar],
    };
  }
}
