import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Append-only: a trigger in the database refuses UPDATE, DELETE and TRUNCATE. */
@Entity('audit_log')
export class AuditLogEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('timestamptz')
  at: Date;

  @Column('text', { nullable: true })
  actorRole: string | null;

  @Column('integer', { nullable: true })
  actorId: number | null;

  /** Dotted verb, e.g. `campaign.publish`, `redemption.create`, `auth.login_failed`. */
  @Column('text')
  action: string;

  @Column('text', { nullable: true })
  entityType: string | null;

  @Column('text', { nullable: true })
  entityId: string | null;

  /** `ok` or `denied` (refused attempts are audited too). */
  @Column('text', { default: 'ok' })
  outcome: string;

  @Column('jsonb', { default: {} })
  details: Record<string, unknown>;

  @Column('text', { nullable: true })
  requestId: string | null;
}
