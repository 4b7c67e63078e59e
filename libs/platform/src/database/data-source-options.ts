import './pg-types';
import { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { SnakeNamingStrategy } from './naming.strategy';

type Classes = Function[];

/** One place that turns configuration into TypeORM options. `synchronize` is never on. */
export function dataSourceOptions(
  config: AppConfig,
  entities: Classes,
  migrations: Classes = [],
  applicationName = 'jinli',
): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.database.url,
    entities,
    migrations,
    migrationsTableName: 'schema_migration',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    namingStrategy: new SnakeNamingStrategy(),
    // Failed queries are logged unless logs are off (tests provoke refusals on purpose).
    logging: config.logLevel === 'silent' ? false : ['error'],
    applicationName,
    extra: {
      max: config.database.poolSize,
      // Idle connections beyond these are closed after 10 s; these stay open for the claim writer
      // (ClaimWriter.warm opens them), so a round's first wave does not wait for connecting.
      min: Math.min(config.claiming.writerConcurrency, config.database.poolSize),
      // A stuck query must not hold a till or a claimant forever.
      statement_timeout: 30_000,
      idle_in_transaction_session_timeout: 60_000,
      options: `-c TimeZone=UTC`,
    },
  };
}
