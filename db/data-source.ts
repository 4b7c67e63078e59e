import { DataSource } from 'typeorm';
import { AppConfig, dataSourceOptions, loadConfig } from '@jinli/platform';
import { ALL_ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/** A DataSource for scripts and the TypeORM CLI: migrations, seeds, audit, benchmarks. */
export function createDataSource(
  config: AppConfig = loadConfig(),
  applicationName = 'jinli-script',
): DataSource {
  return new DataSource(dataSourceOptions(config, ALL_ENTITIES, MIGRATIONS, applicationName));
}
