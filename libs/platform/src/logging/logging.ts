import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RouteInfo } from '@nestjs/common/interfaces';
import type { Params } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';
import { maskPhonesInText } from '../privacy/masking';

/**
 * Structured JSON logs with a request id on every line; phone numbers and secrets never reach them.
 * `hotRoutes` get no per-request logger at all: at a voucher drop the claim route answers ten
 * thousand requests a second, and access-logging them cost about an eighth of the API's CPU. Those
 * answers are counted in /metrics; their unexpected errors are still logged.
 */
export function loggerParams(config: AppConfig, name: string, hotRoutes: RouteInfo[] = []): Params {
  return {
    ...(hotRoutes.length ? { exclude: hotRoutes } : {}),
    pinoHttp: {
      name,
      level: config.logLevel,
      genReqId: (req: IncomingMessage) => {
        const id = (req as IncomingMessage & { id?: string }).id;
        return id ?? randomUUID();
      },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["idempotency-key"]',
          '*.password',
          '*.code',
          '*.idNumber',
        ],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: maskPhonesInText(req.url ?? ''),
        }),
      },
      formatters: {
        log: (object: Record<string, unknown>) => {
          if (typeof object.msg === 'string') object.msg = maskPhonesInText(object.msg);
          return object;
        },
      },
      // Health probes and scrapes every few seconds are noise.
      autoLogging: { ignore: (req: IncomingMessage) => /^\/(health|metrics)/.test(req.url ?? '') },
      quietReqLogger: true,
    },
  };
}
