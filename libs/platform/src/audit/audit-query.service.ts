import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { maskPhone, maskPhonesInText } from '../privacy/masking';

export interface AuditLogQuery {
  /** Exact action (`campaign.publish`), or a prefix ending in a dot (`redemption.`). */
  action?: string;
  entityType?: string;
  entityId?: string;
  outcome?: 'ok' | 'denied';
  actorRole?: string;
  from?: Date;
  until?: Date;
  /** Keyset paging: entries older than this id (the log is append-only and large). */
  beforeId?: number;
  limit?: number;
}

export interface AuditLogView {
  id: number;
  at: string;
  actorRole: string | null;
  actorId: number | null;
  /** Staff display name, or a citizen's masked phone number. */
  actorName: string | null;
  action: string;
  entityType: string | null;
  entityId: string | null;
  outcome: string;
  details: Record<string, unknown>;
  requestId: string | null;
}

interface Row {
  id: number;
  at: Date;
  actor_role: string | null;
  actor_id: number | null;
  staff_name: string | null;
  citizen_phone: string | null;
  action: string;
  entity_type: string | null;
  entity_id: string | null;
  outcome: string;
  details: Record<string, unknown>;
  request_id: string | null;
}

/** Reads the audit log for auditors and operators, newest first, with every phone number masked. */
@Injectable()
export class AuditQueryService {
  constructor(private readonly dataSource: DataSource) {}

  async list(q: AuditLogQuery): Promise<{ items: AuditLogView[]; nextBeforeId: number | null }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (q.action) {
      if (q.action.endsWith('.'))
        add(`a.action LIKE ? ESCAPE '\\'`, `${q.action.replace(/[\\%_]/g, '\\$&')}%`);
      else add('a.action = ?', q.action);
    }
    if (q.entityType) add('a.entity_type = ?', q.entityType);
    if (q.entityId) add('a.entity_id = ?', q.entityId);
    if (q.outcome) add('a.outcome = ?', q.outcome);
    if (q.actorRole) add('a.actor_role = ?', q.actorRole);
    if (q.from) add('a.at >= ?', q.from);
    if (q.until) add('a.at < ?', q.until);
    if (q.beforeId) add('a.id < ?', q.beforeId);
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 200);
    params.push(limit + 1);
    const rows = (await this.dataSource.query(
      `SELECT a.id, a.at, a.actor_role, a.actor_id, a.action, a.entity_type, a.entity_id, a.outcome, a.details,
              a.request_id, s.display_name AS staff_name, c.phone AS citizen_phone
         FROM audit_log a
         LEFT JOIN staff_account s ON a.actor_role <> 'citizen' AND s.id = a.actor_id
         LEFT JOIN citizen c ON a.actor_role = 'citizen' AND c.id = a.actor_id
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY a.id DESC
        LIMIT $${params.length}`,
      params,
    )) as Row[];
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => ({
        id: r.id,
        at: r.at.toISOString(),
        actorRole: r.actor_role,
        actorId: r.actor_id,
        actorName: r.staff_name ?? (r.citizen_phone ? maskPhone(r.citizen_phone) : null),
        action: r.action,
        entityType: r.entity_type,
        entityId: r.entity_id,
        outcome: r.outcome,
        details: JSON.parse(maskPhonesInText(JSON.stringify(r.details ?? {}))) as Record<string, unknown>,
        requestId: r.request_id,
      })),
      nextBeforeId: rows.length > limit ? page[page.length - 1].id : null,
    };
  }
}
