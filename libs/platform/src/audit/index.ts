export * from './audit-log.entity';
export * from './audit-query.service';
export * from './audit.service';
