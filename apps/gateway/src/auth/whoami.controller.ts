import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ErrorCode } from '@gatehouse/contracts';
import { Authenticator, type AuthMode, type Principal } from '@gatehouse/identity';
import { ApiAnswer, ApiErrors } from '../openapi/api-answers';
import { CurrentPrincipal } from './principal.decorator';

export interface WhoAmI {
  id: string;
  kind: string;
  name: string;
  roles: readonly string[];
  authMode: AuthMode;
}

/** Who a credential acts as: what a console or script checks after sign-in, and which buttons it enables. */
@ApiTags('identity')
@Controller('api/whoami')
export class WhoAmIController {
  constructor(private readonly auth: Authenticator) {}

  @Get()
  @ApiAnswer(200, 'Principal', 'The principal this request acts as, with its roles')
  @ApiErrors(ErrorCode.UNAUTHENTICATED, ErrorCode.RATE_LIMITED)
  whoami(@CurrentPrincipal() principal: Principal): WhoAmI {
    const { id, kind, name, roles } = principal;
    return { id, kind, name, roles, authMode: this.auth.mode };
  }
}
