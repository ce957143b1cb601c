import {
  applyDecorators,
  Injectable,
  Logger,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';
import { hasRole } from '@gatehouse/identity';
import { correlationIdOf } from '../http/correlation';
import { principalOf } from './principal.decorator';

const REQUIRED_ROLE = 'gatehouse:required-role';

/** Refuses a principal without the route's role: 403 FORBIDDEN, one security log entry, nothing written. */
@Injectable()
export class RoleGuard implements CanActivate {
  private readonly security = new Logger('Security');

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const role = this.reflector.getAllAndOverride<string | undefined>(REQUIRED_ROLE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!role) return true;
    const principal = principalOf(context);
    if (hasRole(principal, role)) return true;
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    this.security.warn({
      msg: 'access denied',
      principal: principal.id,
      role,
      method: req.method,
      path: req.url.split('?')[0].slice(0, 200),
      correlationId: correlationIdOf(req.raw),
    });
    throw new GatehouseError(ErrorCode.FORBIDDEN, `this action needs the role "${role}"`);
  }
}

/** The route (or every route of a controller) needs `role`. */
export const RequireRole = (role: string) => applyDecorators(SetMetadata(REQUIRED_ROLE, role), UseGuards(RoleGuard));
