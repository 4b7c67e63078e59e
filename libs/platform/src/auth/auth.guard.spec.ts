import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Role } from '@jinli/contracts';
import { ManualClock } from '../clock/clock';
import { loadConfig } from '../config/app-config';
import { AuthGuard } from './auth.guard';
import { Public, Roles } from './decorators';
import { TokenService } from './token.service';

class Routes {
  @Public()
  open() {}
  @Roles(Role.Operator)
  operatorOnly() {}
  forgotten() {}
}

describe('AuthGuard', () => {
  const config = loadConfig({ NODE_ENV: 'test' });
  const tokens = new TokenService(config);
  const clock = new ManualClock('2020-07-10T02:00:00Z');
  const sut = new AuthGuard(new Reflector(), tokens, clock);
  const context = (handler: keyof Routes, authorization?: string) => {
    const request: Record<string, unknown> = { headers: { authorization } };
    return {
      ctx: {
        getHandler: () => Routes.prototype[handler],
        getClass: () => Routes,
        switchToHttp: () => ({ getRequest: () => request }),
      } as unknown as ExecutionContext,
      request,
    };
  };
  const bearer = (role: Role) => `Bearer ${tokens.issue({ id: 7, role }, clock.nowMs()).accessToken}`;

  it('denies a route that declares neither @Roles nor @Public, even to a signed-in operator', () => {
    expect(() => sut.canActivate(context('forgotten', bearer(Role.Operator)).ctx)).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN', message: 'This route has no access policy' }),
    );
  });

  it('lets anyone through a @Public route', () => {
    expect(sut.canActivate(context('open').ctx)).toBe(true);
  });

  it('puts the actor on the request for an allowed role, and refuses the others', () => {
    const { ctx, request } = context('operatorOnly', bearer(Role.Operator));
    expect(sut.canActivate(ctx)).toBe(true);
    expect(request.actor).toEqual({ id: 7, role: 'operator' });
    expect(() => sut.canActivate(context('operatorOnly', bearer(Role.Cashier)).ctx)).toThrow(
      expect.objectContaining({ code: 'AUTH_ROLE_FORBIDDEN' }),
    );
    expect(() => sut.canActivate(context('operatorOnly').ctx)).toThrow(
      expect.objectContaining({ code: 'UNAUTHENTICATED' }),
    );
  });

  it('judges expiry by the injected clock', () => {
    const auth = bearer(Role.Operator);
    clock.advance(config.auth.staffTokenTtlS * 1000);
    expect(() => sut.canActivate(context('operatorOnly', auth).ctx)).toThrow(
      expect.objectContaining({ code: 'AUTH_TOKEN_EXPIRED' }),
    );
  });
});
