import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';
import type { Principal } from '@gatehouse/identity';
import type { AuthenticatedRequest } from './authentication.middleware';

/** The principal the authentication middleware found; fails closed if a route was reached without one. */
export function principalOf(context: ExecutionContext): Principal {
  const req = context.switchToHttp().getRequest<FastifyRequest>();
  const principal = (req.raw as AuthenticatedRequest).principal;
  if (!principal) throw new GatehouseError(ErrorCode.UNAUTHENTICATED, 'the request carries no principal');
  return principal;
}

/** `@CurrentPrincipal() principal: Principal` in a handler. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  principalOf(context),
);
