import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HitlEventDto, type GateReplyResult } from '@gatehouse/contracts';
import { GateReplyService } from '../gates/gate-reply.service';

/** The external receiver: systems acting for a human post replies here. */
@ApiTags('events')
@Controller('api/events')
export class EventsController {
  constructor(private readonly replies: GateReplyService) {}

  @Post('hitl')
  @HttpCode(200)
  hitl(@Body() dto: HitlEventDto): Promise<GateReplyResult> {
    return this.replies.hitl(dto);
  }
}
