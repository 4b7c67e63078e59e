import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../auth/actor';
import { Clock } from '../clock/clock';
import { preparedQuery } from '../database/transaction';

export interface AuditEntry {
  actor?: Pick<Actor, 'id' | 'role'> | null;
  action: string;
  entityType?: string;
  entityId?: string | number;
  outcome?: 'ok' | 'denied';
  details?: Record<string, unknown>;
  requestId?: string;
}

/**
 * Where a refusal's audit entry goes. Inside a transaction, refusals are collected and written after
 * it ends: writing them on a second connection while the transaction holds one can exhaust the pool
 * under a burst of refused requests.
 */
export type AuditSink = (entry: AuditEntry) => Promise<void>;

/** Writes the audit log. Pass the use case's EntityManager so the entry commits with the change. */
@Injectable()
export class AuditService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async record(entry: AuditEntry, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await preparedQuery(
      manager,
      'jinli_audit_insert',
      `INSERT INTO audit_log (at, actor_role, actor_id, action, entity_type, entity_id, outcome, details, request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        this.clock.now(),
        entry.actor?.role ?? null,
        entry.actor?.id ?? null,
        entry.action,
        entry.entityType ?? null,
        entry.entityId === undefined ? null : String(entry.entityId),
        entry.outcome ?? 'ok',
        JSON.stringify(entry.details ?? {}),
        entry.requestId ?? null,
      ],
    );
  }
}
