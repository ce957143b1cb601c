import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { CreateApiKeyDto, ErrorCode, Role, type ApiKeyCreated, type ApiKeyView } from '@gatehouse/contracts';
import type { Principal } from '@gatehouse/identity';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { RequireRole } from '../auth/require-role';
import { ApiAnswer, ApiErrors } from '../openapi/api-answers';
import { BODY_ERRORS } from '../openapi/route-errors';
import { KeysService } from './keys.service';

/** API keys (DESIGN section 10): admin only. A key is shown once, in the answer that creates it. */
@ApiTags('keys')
@RequireRole(Role.ADMIN)
@Controller('api/keys')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Post()
  @HttpCode(201)
  @ApiAnswer(201, 'ApiKeyCreated', 'The new key; `key` is shown this once and never again')
  @ApiErrors(...BODY_ERRORS, ErrorCode.FORBIDDEN, ErrorCode.SERVICE_UNAVAILABLE)
  create(@Body() dto: CreateApiKeyDto, @CurrentPrincipal() principal: Principal): Promise<ApiKeyCreated> {
    return this.keys.create(dto, principal);
  }

  @Get()
  @ApiAnswer(200, 'ApiKeyList', 'Every key, revoked ones included; never a secret')
  @ApiErrors(ErrorCode.FORBIDDEN, ErrorCode.SERVICE_UNAVAILABLE)
  list(): Promise<ApiKeyView[]> {
    return this.keys.list();
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiParam({ name: 'id', description: 'The key id', schema: { type: 'string', format: 'uuid' } })
  @ApiAnswer(200, 'ApiKey', 'The key, revoked (again: revoking is idempotent)')
  @ApiErrors(ErrorCode.FORBIDDEN, ErrorCode.KEY_NOT_FOUND, ErrorCode.LAST_ADMIN_KEY, ErrorCode.SERVICE_UNAVAILABLE)
  revoke(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<ApiKeyView> {
    return this.keys.revoke(id, principal);
  }
}
