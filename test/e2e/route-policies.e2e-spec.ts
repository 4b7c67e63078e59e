import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { PUBLIC_KEY, ROLES_KEY } from '@jinli/platform';
import { TestApi } from '@jinli/testing';

interface RouteInfo {
  method: string;
  path: string;
  handler: string;
  roles?: string[];
  isPublic: boolean;
}

const join = (...parts: (string | undefined)[]) =>
  '/' +
  parts
    .flatMap((p) => (p ?? '').split('/'))
    .filter(Boolean)
    .join('/');

/** Every route handler Nest registered, read from the controllers' metadata. */
function registeredRoutes(api: TestApi): RouteInfo[] {
  const reflector = new Reflector();
  const scanner = new MetadataScanner();
  const out: RouteInfo[] = [];
  for (const module of api.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as { new (...a: never[]): unknown; name: string } | null;
      if (!controller) continue;
      const base = Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined;
      for (const name of scanner.getAllMethodNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, (...a: unknown[]) => unknown>)[name];
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (path === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        for (const b of [base].flat()) {
          for (const p of [path].flat()) {
            out.push({
              method,
              path: join(b, p),
              handler: `${controller.name}.${name}`,
              roles: reflector.getAllAndOverride<string[] | undefined>(ROLES_KEY, [handler, controller]),
              isPublic: reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [handler, controller]) === true,
            });
          }
        }
      }
    }
  }
  return out;
}

describe('every route carries an access policy (deny by default)', () => {
  let api: TestApi;
  let routes: RouteInfo[];
  beforeAll(async () => {
    api = await TestApi.start();
    routes = registeredRoutes(api);
  });
  afterAll(() => api.close());

  it('finds the routes Fastify serves', () => {
    expect(routes.length).toBeGreaterThan(30);
    const fastify = api.app.getHttpAdapter().getInstance();
    for (const r of routes) {
      expect({
        route: `${r.method} ${r.path}`,
        served: fastify.hasRoute({ method: r.method as 'GET', url: r.path }),
      }).toEqual({
        route: `${r.method} ${r.path}`,
        served: true,
      });
    }
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['POST /api/v1/auth/staff/sign-in', 'POST /api/v1/funders', 'GET /health']),
    );
  });

  it('gives each route @Roles(...) with at least one role, or @Public(), never both', () => {
    const missing = routes.filter((r) => !r.isPublic && !(r.roles && r.roles.length > 0));
    const both = routes.filter((r) => r.isPublic && r.roles?.length);
    expect(missing.map((r) => `${r.method} ${r.path} (${r.handler})`)).toEqual([]);
    expect(both.map((r) => `${r.method} ${r.path} (${r.handler})`)).toEqual([]);
  });

  it('answers 401 on every non-public route called without a token', async () => {
    const sample = (path: string) => path.replace(/:action\b/g, 'publish').replace(/:[A-Za-z]+/g, '1');
    for (const r of routes.filter((x) => !x.isPublic)) {
      const res = await api.request(r.method, sample(r.path), r.method === 'GET' ? {} : { body: {} });
      expect({ route: `${r.method} ${r.path}`, status: res.status, code: res.body?.code }).toEqual({
        route: `${r.method} ${r.path}`,
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    }
  });

  it('keeps public routes to sign-in, enrolment, reference data and probes, never the issuing console', () => {
    const publicRoutes = routes.filter((r) => r.isPublic).map((r) => `${r.method} ${r.path}`);
    expect(publicRoutes).toEqual(
      expect.arrayContaining([
        'POST /api/v1/auth/citizen/code',
        'POST /api/v1/auth/citizen/sign-in',
        'POST /api/v1/auth/staff/sign-in',
        'POST /api/v1/merchant-applications',
        'GET /health',
      ]),
    );
    const console = /^\S+ \/api\/v1\/(funders|campaigns|batches|merchants|staff|my)(\/|$)/;
    expect(publicRoutes.filter((r) => console.test(r))).toEqual([]);
  });
});
