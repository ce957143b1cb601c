import { Controller, Get } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  ErrorCode,
  GateState,
  INBOX_LIMIT,
  parseInboxParams,
  RISK_LEVELS,
  type InboxPage,
  type InboxQuery,
} from '@gatehouse/contracts';
import type { Principal } from '@gatehouse/identity';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { principalOf } from '../auth/principal.decorator';
import { ApiAnswer, ApiErrors } from '../openapi/api-answers';
import { GatesClient } from '../rpc/gates.client';

/**
 * The raw query string, parsed by parseInboxParams: the global ValidationPipe would coerce values
 * ("1.5" to 1.5) and hide what the client sent.
 */
const InboxParams = createParamDecorator((_data: unknown, ctx: ExecutionContext): InboxQuery => {
  const query = ctx.switchToHttp().getRequest<{ query?: Record<string, unknown> }>().query ?? {};
  const principal: Principal = principalOf(ctx);
  return parseInboxParams(query, { id: principal.id, roles: principal.roles });
});

/** The operators' inbox: gates across runs (DESIGN section 14). */
@ApiTags('gates')
@Controller('api/gates')
export class InboxController {
  constructor(private readonly gates: GatesClient) {}

  @Get()
  @ApiQuery({ name: 'state', required: false, enum: Object.values(GateState), description: 'Default PENDING' })
  @ApiQuery({ name: 'recipe', required: false, description: 'Recipe name' })
  @ApiQuery({ name: 'riskLevel', required: false, enum: [...RISK_LEVELS] })
  @ApiQuery({ name: 'partition', required: false, description: "The run's queue partition key" })
  @ApiQuery({ name: 'olderThanS', required: false, description: 'Only gates opened at least N seconds ago' })
  @ApiQuery({ name: 'mine', required: false, enum: ['true', 'false'], description: 'Only gates the caller may decide' })
  @ApiQuery({
    name: 'limit',
    required: false,
    description: `Page size, ${INBOX_LIMIT.min}..${INBOX_LIMIT.max}, default ${INBOX_LIMIT.default}`,
  })
  @ApiQuery({ name: 'cursor', required: false, description: "The previous page's nextCursor" })
  @ApiAnswer(200, 'InboxPage', 'Gates sorted by deadline (then run and gate key), one page')
  @ApiErrors(ErrorCode.INVALID_FILTER, ErrorCode.INVALID_LIMIT, ErrorCode.INVALID_CURSOR, ErrorCode.SERVICE_UNAVAILABLE)
  list(@InboxParams() query: InboxQuery): Promise<InboxPage> {
    return this.gates.inbox(query);
  }
}
