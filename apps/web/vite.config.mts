import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * Vant's icon font is inlined (woff2 data URL) with a fallback on Alibaba's CDN, which browsers fetch
 * anyway. The pages call nothing but their own server (and their CSP says so): drop the fallback.
 */
function vantIconFontInlineOnly(): Plugin {
  return {
    name: 'jinli:vant-icon-font-inline-only',
    transform(code, id) {
      if (!id.includes('/vant/') || !id.endsWith('.css') || !code.includes('at.alicdn.com')) return null;
      return { code: code.replace(/,\s*url\(\/\/at\.alicdn\.com[^)]*\)\s*format\("woff"\)/g, ''), map: null };
    },
  };
}

/**
 * Three pages, one build: citizen H5 (/h5/), merchant till (/merchant/), console (/console/).
 * Output goes to dist/web, which the API serves with @fastify/static (apps/api/src/web-pages.ts).
 * `npm run dev:web` serves the pages with hot reload and proxies /api to a running API.
 */
export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [vue(), vantIconFontInlineOnly()],
  resolve: {
    alias: { '@jinli/contracts': here('../../libs/contracts/src/index.ts') },
  },
  build: {
    outDir: here('../../dist/web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      input: {
        h5: here('h5/index.html'),
        merchant: here('merchant/index.html'),
        console: here('console/index.html'),
      },
    },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:3000' },
  },
});
