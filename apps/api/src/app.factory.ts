import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { createValidationPipe, httpRequestDuration, loadConfig } from '@jinli/platform';
import { ClaimService, ClaimWriter, SoldOutBoard } from '@jinli/claiming';
import { claimFastPath, ClaimFastPathTargets } from './claiming/claim-fast-path';
import { ApiModule, ApiOptions } from './api.module';
import { findWebDir, registerWebPages } from './web-pages';

export interface ApiAppOptions extends ApiOptions {
  /** Built pages (dist/web) to serve under /h5, /merchant, /console; null: none. Default: found. */
  webDir?: string | null;
}

/**
 * Builds the API exactly as production runs it (adapter, limits, validation, errors, docs), without
 * listening. main.ts listens; tests call `inject` or listen on a free port.
 */
export async function createApiApp(options: ApiAppOptions = {}): Promise<NestFastifyApplication> {
  const config = options.config ?? loadConfig();
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    logger: false,
  });
  // The first hook of the instance, ahead of the ones Nest adds (its middleware runs in an onRequest
  // hook too): claims of a voucher drop skip all of that. Callback-style hooks: they run on every
  // request, and an async hook costs a promise each time.
  const claimTargets: { current?: ClaimFastPathTargets } = {};
  adapter.getInstance().addHook(
    'onRequest',
    claimFastPath(() => claimTargets.current),
  );
  const { webDir: webDirOption, ...moduleOptions } = options;
  const app = await NestFactory.create<NestFastifyApplication>(
    ApiModule.forRoot({ ...moduleOptions, config }),
    adapter,
    {
      bufferLogs: true,
      abortOnError: false,
    },
  );
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();

  const fastify = app.getHttpAdapter().getInstance();
  // The API speaks JSON only: a text/plain body gets 415 instead of being validated as a string.
  fastify.removeContentTypeParser('text/plain');
  claimTargets.current = { board: app.get(SoldOutBoard), claims: app.get(ClaimService) };
  fastify.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-request-id', request.id);
    done(null, payload);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    httpRequestDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  // The citizen H5, the merchant till and the console, when `npm run build:web` has built them.
  const webDir = webDirOption === undefined ? findWebDir() : webDirOption;
  if (webDir) await registerWebPages(fastify, webDir);

  if (config.http.openApi) {
    const doc = new DocumentBuilder()
      .setTitle('Jinli API')
      .setDescription(
        'Government consumer vouchers: issuing, claiming, redemption, settlement and reports. Money is integer fen.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build();
    SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc), {
      jsonDocumentUrl: 'docs-json',
    });
  }
  await app.init();
  await fastify.ready();
  await app.get(ClaimWriter).warm();
  return app;
}
