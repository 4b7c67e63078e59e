import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig, MemorySmsSender } from '@jinli/platform';
import { createApiApp } from '../../apps/api/src/app.factory';
import { findWebDir } from '../../apps/api/src/web-pages';

describe('web pages served by the API', () => {
  let dir: string;
  let app: NestFastifyApplication;
  const get = (url: string) => app.inject({ method: 'GET', url });

  beforeAll(async () => {
    // A stand-in for dist/web, so this test does not depend on a vite build having run.
    dir = mkdtempSync(join(tmpdir(), 'jinli-web-'));
    for (const page of ['h5', 'merchant', 'console']) {
      mkdirSync(join(dir, page));
      writeFileSync(join(dir, page, 'index.html'), `<html><body>${page} page</body></html>`);
    }
    writeFileSync(join(dir, 'h5', 'robots.txt'), 'User-agent: *');
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'assets', 'h5-abc123.js'), 'console.log(1)');
    app = await createApiApp({ config: loadConfig(), sms: new MemorySmsSender(), webDir: dir });
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['h5', 'merchant', 'console'])(
    'serves /%s/ and falls back to its index.html for deep links',
    async (page) => {
      for (const url of [`/${page}/`, `/${page}/some/deep/route?x=1`]) {
        const res = await get(url);
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toContain('text/html');
        expect(res.headers['cache-control']).toBe('no-cache');
        expect(res.body).toContain(`${page} page`);
      }
    },
  );

  it('redirects the bare page path to the one with a slash, keeping the query', async () => {
    const res = await get('/h5?from=sms');
    expect(res.statusCode).toBe(301);
    expect(res.headers.location).toBe('/h5/?from=sms');
  });

  it('serves built files of a page and hashed assets with a long cache', async () => {
    const robots = await get('/h5/robots.txt');
    expect(robots.body).toBe('User-agent: *');
    const asset = await get('/assets/h5-abc123.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect(asset.body).toBe('console.log(1)');
  });

  it('never serves files outside the build, and keeps API errors as JSON', async () => {
    expect((await get('/h5/../../etc/passwd')).body).not.toContain('root:');
    const traversal = await get('/assets/..%2f..%2fpackage.json');
    expect(traversal.statusCode).toBe(404);
    const missing = await get('/assets/nope.js');
    expect(missing.statusCode).toBe(404);
    const api = await get('/api/v1/nothing-here');
    expect(api.statusCode).toBe(404);
    expect(JSON.parse(api.body)).toEqual({ code: 'NOT_FOUND', message: expect.any(String) });
  });

  it('finds dist/web from the compiled API and from the sources', () => {
    const root = mkdtempSync(join(tmpdir(), 'jinli-root-'));
    try {
      mkdirSync(join(root, 'dist', 'web', 'h5'), { recursive: true });
      writeFileSync(join(root, 'dist', 'web', 'h5', 'index.html'), '');
      expect(findWebDir(join(root, 'apps', 'api', 'src'))).toBe(join(root, 'dist', 'web'));
      expect(findWebDir(join(root, 'dist', 'apps', 'api', 'src'))).toBe(join(root, 'dist', 'web'));
      expect(findWebDir(join(root, 'x', 'elsewhere', 'a', 'b'))).toBeNull();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
