import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { dataSourceOptions } from './data-source-options';
import { TransactionRunner } from './transaction';

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(entities: Function[], applicationName: string): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: AppConfig) => ({
            ...dataSourceOptions(config, entities, [], applicationName),
            // Fail start-up fast instead of retrying for minutes when PostgreSQL is down.
            retryAttempts: 2,
            retryDelay: 500,
          }),
        }),
      ],
      providers: [TransactionRunner],
      exports: [TransactionRunner],
    };
  }
}
