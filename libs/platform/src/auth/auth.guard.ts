import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Role } from '@jinli/contracts';
import { Clock } from '../clock/clock';
import { JinliException } from '../errors/jinli.exception';
import { Actor } from './actor';
import { PUBLIC_KEY, ROLES_KEY } from './decorators';
import { TokenService } from './token.service';

/**
 * The global guard. Deny by default: a route without @Roles or @Public answers 403, so a new route
 * cannot be left open by forgetting a decorator.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly clock: Clock,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (!roles || roles.length === 0)
      throw new JinliException('FORBIDDEN', 'This route has no access policy');

    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | string[] | undefined>; actor?: Actor }>();
    const token = TokenService.fromHeader(request.headers.authorization);
    if (!token) throw new JinliException('UNAUTHENTICATED', 'Sign in first (Authorization: Bearer <token>)');
    const actor = this.tokens.verify(token, this.clock.nowMs());
    if (!roles.includes(actor.role)) {
      throw new JinliException(
        'AUTH_ROLE_FORBIDDEN',
        `This action needs one of the roles: ${roles.join(', ')}`,
      );
    }
    request.actor = actor;
    return true;
  }
}
