import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import { ErrorCode, HitlEventDto, type GateReplyResult } from '@gatehouse/contracts';
import type { Principal } from '@gatehouse/identity';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { ApiAnswer, ApiErrors } from '../openapi/api-answers';
import { REPLY_ERRORS } from '../openapi/route-errors';
import { GateReplyService } from '../gates/gate-reply.service';

/** The external receiver: systems acting for a human post replies here. */
@ApiTags('events')
@Controller('api/events')
export class EventsController {
  constructor(private readonly replies: GateReplyService) {}

  @Post('hitl')
  @HttpCode(200)
  @ApiAnswer(200, 'GateReplyResult', 'Accepted, or an idempotent replay (`duplicate: true`) of a recorded reply')
  @ApiErrors(...REPLY_ERRORS, ErrorCode.TOPIC_MISMATCH)
  @ApiQuery({
    name: 'source',
    required: false,
    description: 'The signed source sending the request (with its Standard Webhooks signature headers)',
  })
  hitl(@Body() dto: HitlEventDto, @CurrentPrincipal() principal: Principal): Promise<GateReplyResult> {
    return this.replies.hitl(dto, principal);
  }
}
