export * from './audit';
export * from './auth';
export * from './clock';
export * from './config/app-config';
export * from './config/config.module';
export * from './database';
export * from './errors';
export * from './events';
export * from './idempotency';
export * from './logging';
export * from './metrics';
export * from './platform.module';
export * from './privacy';
export * from './queue';
export * from './redis';
export * from './redis/redis.health';
export * from './outbox.entity';

import { AuditLogEntity } from './audit/audit-log.entity';
import { CitizenEntity } from './auth/citizen.entity';
import { StaffAccountEntity } from './auth/staff-account.entity';
import { IdempotencyRecordEntity, OutboxEventEntity } from './outbox.entity';

export const PLATFORM_ENTITIES = [
  CitizenEntity,
  StaffAccountEntity,
  AuditLogEntity,
  OutboxEventEntity,
  IdempotencyRecordEntity,
];
