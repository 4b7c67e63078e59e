import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ClaimingException, ClaimService, SoldOutBoard } from '@jinli/claiming';
import { mapError } from '@jinli/platform';
import { API } from '../common/api';

const CLAIM_URL = new RegExp(`^/${API}/claiming/batches/([1-9]\\d{0,9})/claim(?:\\?|$)`);
const MAX_ID = 2_147_483_647;

export interface ClaimFastPathTargets {
  board: SoldOutBoard;
  claims: ClaimService;
}

/**
 * The claim route at the front door. A voucher drop is thousands of claims a second on one route,
 * so they are answered here, in the first onRequest hook of the Fastify instance: before Nest's
 * middleware (@fastify/middie), body parsing, Nest's router, guards, pipes and exception filter,
 * none of which a claim needs (it has no body, is public at guard level and checks its own token).
 * Sold-out answers come from this process's memory (no database, no Redis, no token check); other
 * claims go to ClaimService, the same code the controller calls. Requests this hook does not take
 * (an id that is not a positive 32-bit integer, before the application is ready) reach the
 * controller, which gives the same answers.
 *
 * `targets` is read per request because the hook is installed before Nest builds the services.
 */
export function claimFastPath(targets: () => ClaimFastPathTargets | undefined) {
  const log = new Logger('ClaimFastPath');
  const fail = (request: FastifyRequest, reply: FastifyReply, e: unknown) => {
    const mapped = mapError(e);
    if (mapped.unexpected) log.error({ err: e, reqId: request.id, url: request.url }, 'unexpected error');
    const retryAfter = retryAfterS(e);
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    void reply.code(mapped.status).send(mapped.body);
  };
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    if (request.method !== 'POST') return done();
    const m = CLAIM_URL.exec(request.url);
    const t = m ? targets() : undefined;
    const batchId = m ? Number(m[1]) : 0;
    if (!t || batchId > MAX_ID) return done();
    const soldOut = t.board.answer(batchId);
    if (soldOut) {
      void reply.code(soldOut.status).send(soldOut.body);
      return;
    }
    let citizenId: number;
    try {
      citizenId = t.claims.citizenFromHeader(request.headers.authorization);
    } catch (e) {
      fail(request, reply, e);
      return;
    }
    t.claims.claim(batchId, citizenId, request.ip).then(
      (voucher) => void reply.code(201).send(voucher),
      (e: unknown) => fail(request, reply, e),
    );
  };
}

/** Seconds a rate-limited claimant should wait (the Retry-After header), if the error says so. */
export function retryAfterS(e: unknown): number | undefined {
  if (!(e instanceof ClaimingException) || e.code !== 'RATE_LIMITED') return undefined;
  return (e.details as { retryAfterS?: number } | undefined)?.retryAfterS ?? 1;
}
