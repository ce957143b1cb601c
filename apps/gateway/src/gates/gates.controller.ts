import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  ApprovePlanDto,
  GateReplyDto,
  type GateDetailView,
  type GateReplyResult,
  type GateSummary,
} from '@gatehouse/contracts';
import { GateKeyPipe, TimeoutS } from '../params/gate-params';
import { GateQueryService } from './gate-query.service';
import { GateReplyService } from './gate-reply.service';

@ApiTags('gates')
@Controller('api/runs/:wid')
export class GatesController {
  constructor(
    private readonly query: GateQueryService,
    private readonly replies: GateReplyService,
  ) {}

  @Get('gates')
  list(@Param('wid') wid: string): Promise<GateSummary[]> {
    return this.query.list(wid);
  }

  @Get('gates/:g')
  @ApiQuery({
    name: 'timeoutS',
    required: false,
    description: 'long-poll: wait up to N s (integer 0..30) for the gate to leave PENDING',
  })
  get(
    @Param('wid') wid: string,
    @Param('g', GateKeyPipe) gateKey: string,
    @TimeoutS() timeoutS: number,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<GateDetailView> {
    // Stop waiting (and free the waiter) when the client goes away.
    const gone = new AbortController();
    res.raw.on('close', () => gone.abort());
    return this.query.get(wid, gateKey, timeoutS, gone.signal);
  }

  @Post('gates/:g/reply')
  @HttpCode(200)
  reply(
    @Param('wid') wid: string,
    @Param('g', GateKeyPipe) gateKey: string,
    @Body() dto: GateReplyDto,
  ): Promise<GateReplyResult> {
    return this.replies.reply(wid, gateKey, dto);
  }

  @Post('approve-plan')
  @HttpCode(200)
  approvePlan(@Param('wid') wid: string, @Body() dto: ApprovePlanDto): Promise<GateReplyResult> {
    return this.replies.approvePlan(wid, dto);
  }
}
