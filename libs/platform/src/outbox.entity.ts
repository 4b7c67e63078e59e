import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** Events written in the same transaction as the change they describe, published afterwards. */
@Entity('outbox_event')
export class OutboxEventEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column('text')
  topic: string;

  @Column('text')
  aggregateId: string;

  @Column('jsonb')
  payload: Record<string, unknown>;

  @Column('timestamptz')
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  publishedAt: Date | null;
}

/** Stored answers to requests sent with an Idempotency-Key. */
@Entity('idempotency_record')
export class IdempotencyRecordEntity {
  @PrimaryColumn('text')
  scope: string;

  @PrimaryColumn('text')
  key: string;

  @Column('text')
  requestHash: string;

  @Column('text', { default: 'in_progress' })
  state: 'in_progress' | 'done';

  @Column('integer', { nullable: true })
  responseStatus: number | null;

  @Column('jsonb', { nullable: true })
  responseBody: unknown;

  @Column('timestamptz')
  createdAt: Date;

  @Column('timestamptz', { nullable: true })
  completedAt: Date | null;
}
