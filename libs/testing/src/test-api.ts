import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { AppConfig, loadConfig, ManualClock, MemorySmsSender, RedisService } from '@jinli/platform';
import { createApiApp } from '../../../apps/api/src/app.factory';

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

/** The API as production builds it, on this jest worker's database and Redis, with a hand-moved clock. */
export class TestApi {
  private constructor(
    readonly app: NestFastifyApplication,
    readonly clock: ManualClock,
    readonly sms: MemorySmsSender,
    readonly config: AppConfig,
  ) {}

  static async start(options: { now?: Date | string; env?: Record<string, string> } = {}): Promise<TestApi> {
    const config = loadConfig({ ...process.env, ...options.env });
    const clock = new ManualClock(options.now ?? Date.now());
    const sms = new MemorySmsSender();
    const app = await createApiApp({ config, clock, sms });
    return new TestApi(app, clock, sms, config);
  }

  get dataSource(): DataSource {
    return this.app.get(DataSource);
  }

  get redis(): RedisService {
    return this.app.get(RedisService);
  }

  get<T>(type: new (...args: never[]) => T): T {
    return this.app.get(type);
  }

  async request<T = any>(
    method: string,
    url: string,
    options: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string } = {},
  ): Promise<HttpResult<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | undefined;
    if (options.raw !== undefined) payload = options.raw;
    else if (options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await this.app.inject({ method: method as 'GET', url, headers, payload });
    let body: unknown = res.body;
    if (String(res.headers['content-type'] ?? '').includes('json') && res.body) body = JSON.parse(res.body);
    return { status: res.statusCode, body: body as T, headers: res.headers };
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}
