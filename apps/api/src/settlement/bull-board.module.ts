import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Role } from '@jinli/contracts';
import { Clock, definedJobs, JinliException, JobQueue, TokenService } from '@jinli/platform';

/** Where the queue UI is served. */
export const BULL_BOARD_PATH = '/admin/queues';
/** Cookie the board's own requests carry once an operator opened it with `?token=`. */
export const BULL_BOARD_COOKIE = 'jinli_admin_token';

/**
 * Bull Board for every queue Jinli defines, behind the operator role. Its routes are Fastify's,
 * outside Nest's guard, so an onRequest hook of its own scope checks the operator's access token:
 * from `Authorization: Bearer`, from the `jinli_admin_token` cookie, or once from `?token=` (the
 * console opens `/admin/queues?token=...`; the hook sets the HttpOnly cookie, scoped to this path,
 * and redirects to the same page without the token).
 */
@Module({})
export class BullBoardModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly jobs: JobQueue,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const serverAdapter = new FastifyAdapter();
    const queueNames = [...new Set(definedJobs().map((j) => j.queue))].sort();
    createBullBoard({
      queues: queueNames.map((name) => new BullMQAdapter(this.jobs.queue(name))),
      // @bull-board/fastify 9.10.1 pins its own @bull-board/api 9.10.1: same shape, separate types.
      serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
      options: { uiConfig: { boardTitle: 'Jinli queues' } },
    });
    serverAdapter.setBasePath(BULL_BOARD_PATH);
    void fastify.register(async (scope) => {
      scope.addHook('onRequest', (request, reply) => this.authorize(request, reply));
      await scope.register(serverAdapter.registerPlugin(), { prefix: BULL_BOARD_PATH });
    });
  }

  private async authorize(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const url = new URL(request.url, 'http://board.local');
    const fromQuery = url.searchParams.get('token') ?? undefined;
    const token =
      TokenService.fromHeader(request.headers.authorization) ??
      fromQuery ??
      cookie(request.headers.cookie, BULL_BOARD_COOKIE);
    if (!token) return deny(reply, new JinliException('UNAUTHENTICATED', 'Sign in as an operator first'));
    try {
      const actor = this.tokens.verify(token, this.clock.nowMs());
      if (actor.role !== Role.Operator)
        return deny(
          reply,
          new JinliException('AUTH_ROLE_FORBIDDEN', 'The queue board needs the operator role'),
        );
    } catch (e) {
      if (e instanceof JinliException) return deny(reply, e);
      throw e;
    }
    if (fromQuery) {
      url.searchParams.delete('token');
      const secure = request.protocol === 'https' ? '; Secure' : '';
      await reply
        .header(
          'set-cookie',
          `${BULL_BOARD_COOKIE}=${encodeURIComponent(fromQuery)}; Path=${BULL_BOARD_PATH}; HttpOnly; SameSite=Strict${secure}`,
        )
        .redirect(`${url.pathname}${url.search}`, 303);
    }
  }
}

function deny(reply: FastifyReply, e: JinliException): FastifyReply {
  return reply.code(e.status).header('content-type', 'application/json').send(e.toBody());
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return decodeURIComponent(part.slice(at + 1).trim());
  }
  return undefined;
}
