import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mapError } from './error-body';

/** One filter for every error a route can raise. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly log = new Logger('Http');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const mapped = mapError(error);
    if (mapped.unexpected) {
      this.log.error({ err: error, reqId: request?.id, url: request?.url }, 'unexpected error');
    }
    void reply.status(mapped.status).send(mapped.body);
  }
}
