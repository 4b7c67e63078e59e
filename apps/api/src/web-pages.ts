import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * The pages load only their own scripts and call only this API. Images may be data: URLs (the QR
 * code is drawn on the phone); Vue and Vant set inline styles.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  // Vant's icon font is inlined as a data: URL (its CDN fallback stays blocked).
  "font-src 'self' data:",
  "connect-src 'self'",
  "media-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

/** The three pages of apps/web, each a single-page app under its own path. */
export const WEB_PAGES = ['h5', 'merchant', 'console'] as const;

/**
 * Where `npm run build:web` put the pages: dist/web next to the compiled API (dist/apps/api/src ->
 * dist/web), or from the sources (apps/api/src -> dist/web) when tests run the TypeScript directly.
 */
export function findWebDir(from = __dirname): string | null {
  const up = join(from, '..', '..', '..');
  return (
    [join(up, 'web'), join(up, 'dist', 'web')].find((d) => existsSync(join(d, 'h5', 'index.html'))) ?? null
  );
}

function listFiles(dir: string): Set<string> {
  const out = new Set<string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.add(relative(dir, p).split(sep).join('/'));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/**
 * Serves the built pages: /assets/* (content-hashed, cached for a year) and /h5/, /merchant/,
 * /console/ with a fallback to each page's index.html so deep links (/h5/vouchers/12) work on reload.
 * Raw Fastify routes: they are public and never reach Nest's guards.
 */
export async function registerWebPages(fastify: FastifyInstance, webDir: string): Promise<void> {
  const assets = join(webDir, 'assets');
  await fastify.register(fastifyStatic, {
    root: assets,
    prefix: '/assets/',
    wildcard: true,
    index: false,
    // Also applies to the pages' sendFile below: only content-hashed assets may be cached for good.
    setHeaders: (reply, path) => {
      const hashed = path.startsWith(assets + sep);
      void reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      void reply.header('x-content-type-options', 'nosniff');
    },
  });
  for (const page of WEB_PAGES) {
    const dir = join(webDir, page);
    const files = listFiles(dir);
    fastify.get(`/${page}`, (request, reply) => {
      const q = request.url.indexOf('?');
      return reply.redirect(`/${page}/${q >= 0 ? request.url.slice(q) : ''}`, 301);
    });
    fastify.get(`/${page}/*`, (request, reply) => {
      const rest = (request.params as { '*': string })['*'];
      // Only files that the build produced; anything else is a client-side route.
      const file = rest && files.has(rest) ? rest : 'index.html';
      return reply
        .header('referrer-policy', 'same-origin')
        .header('content-security-policy', PAGE_CSP)
        .sendFile(file, dir);
    });
  }
}
