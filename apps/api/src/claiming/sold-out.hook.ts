import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { SoldOutBoard } from '@jinli/claiming';
import { API } from '../common/api';

const CLAIM_URL = new RegExp(`^/${API}/claiming/batches/([1-9]\\d{0,9})/claim(?:\\?|$)`);

/**
 * The sold-out fast path, at the front door: once a round is sold out, most requests of a drop are
 * claims that can only be refused. They are answered here, from this process's memory, before body
 * parsing, routing, guards and pipes (no database, no Redis, no token check). The controller keeps
 * the same check for anything that gets past this hook.
 */
export function soldOutHook(board: SoldOutBoard) {
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    if (request.method === 'POST') {
      const m = CLAIM_URL.exec(request.url);
      if (m) {
        const batchId = Number(m[1]);
        const answer = batchId <= 2_147_483_647 ? board.answer(batchId) : undefined;
        if (answer) {
          void reply.code(answer.status).send(answer.body);
          return;
        }
      }
    }
    done();
  };
}
