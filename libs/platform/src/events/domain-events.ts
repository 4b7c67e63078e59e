import { Injectable, Logger } from '@nestjs/common';

type Handler<P> = (payload: P) => Promise<void> | void;

/** A named in-process event with a typed payload. */
export interface DomainEvent<P> {
  readonly topic: string;
  readonly payload?: P;
}

export function defineEvent<P>(topic: string): DomainEvent<P> {
  return { topic };
}

/**
 * In-process events let an upstream context tell downstream ones that something changed (a batch
 * was published) without importing them. Handlers must be safe to miss: anything they maintain
 * can also be rebuilt from PostgreSQL.
 */
@Injectable()
export class DomainEvents {
  private readonly log = new Logger(DomainEvents.name);
  private readonly handlers = new Map<string, Handler<unknown>[]>();

  on<P>(event: DomainEvent<P>, handler: Handler<P>): void {
    const list = this.handlers.get(event.topic) ?? [];
    list.push(handler as Handler<unknown>);
    this.handlers.set(event.topic, list);
  }

  /** Runs every handler; a failing handler is logged and does not fail the caller (the change is committed). */
  async emit<P>(event: DomainEvent<P>, payload: P): Promise<void> {
    for (const handler of this.handlers.get(event.topic) ?? []) {
      try {
        await handler(payload);
      } catch (e) {
        this.log.error(`handler of ${event.topic} failed: ${(e as Error).message}`);
      }
    }
  }
}
