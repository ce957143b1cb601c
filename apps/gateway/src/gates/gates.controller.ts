import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  ApprovePlanDto,
  ErrorCode,
  GATE_KEY_PATTERN,
  GateReplyDto,
  type GateDetailView,
  type GateHistory,
  type GateReplyResult,
  type GateSummary,
} from '@gatehouse/contracts';
import type { Principal } from '@gatehouse/identity';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { ApiAnswer, ApiErrors } from '../openapi/api-answers';
import { BODY_ERRORS, REPLY_ERRORS } from '../openapi/route-errors';
import { GateKeyPipe, TimeoutS } from '../params/gate-params';
import { GateQueryService } from './gate-query.service';
import { GateReplyService } from './gate-reply.service';

/** The gate key in a path: anything else is 400 INVALID_GATE_KEY. */
const GateKeyParam = () =>
  ApiParam({
    name: 'g',
    description: 'The gate key, e.g. `approve-plan`',
    schema: { type: 'string', pattern: GATE_KEY_PATTERN.source },
  });

@ApiTags('gates')
@Controller('api/runs/:wid')
export class GatesController {
  constructor(
    private readonly query: GateQueryService,
    private readonly replies: GateReplyService,
  ) {}

  @Get('gates')
  @ApiAnswer(200, 'GateList', "The run's gates in the order they opened; [] before the first opens")
  @ApiErrors(ErrorCode.RUN_NOT_FOUND, ErrorCode.SERVICE_UNAVAILABLE)
  list(@Param('wid') wid: string): Promise<GateSummary[]> {
    return this.query.list(wid);
  }

  @Get('gates/:g')
  @GateKeyParam()
  @ApiAnswer(200, 'GateDetail', 'The gate with its prompt, result, decision and escalation')
  @ApiErrors(
    ErrorCode.INVALID_GATE_KEY,
    ErrorCode.INVALID_TIMEOUT,
    ErrorCode.RUN_NOT_FOUND,
    ErrorCode.GATE_NOT_FOUND,
    ErrorCode.SERVICE_UNAVAILABLE,
    ErrorCode.OVERLOADED,
  )
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

  @Get('gates/:g/history')
  @GateKeyParam()
  @ApiAnswer(200, 'GateHistory', "The gate's audit trail and interaction ledger rows, oldest first")
  @ApiErrors(
    ErrorCode.INVALID_GATE_KEY,
    ErrorCode.RUN_NOT_FOUND,
    ErrorCode.GATE_NOT_FOUND,
    ErrorCode.SERVICE_UNAVAILABLE,
  )
  history(@Param('wid') wid: string, @Param('g', GateKeyPipe) gateKey: string): Promise<GateHistory> {
    return this.query.history(wid, gateKey);
  }

  @Post('gates/:g/reply')
  @GateKeyParam()
  @HttpCode(200)
  @ApiAnswer(200, 'GateReplyResult', 'Accepted, or an idempotent replay (`duplicate: true`) of a recorded reply')
  @ApiErrors(...REPLY_ERRORS)
  reply(
    @Param('wid') wid: string,
    @Param('g', GateKeyPipe) gateKey: string,
    @Body() dto: GateReplyDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<GateReplyResult> {
    return this.replies.reply(wid, gateKey, dto, principal);
  }

  @Post('approve-plan')
  @HttpCode(200)
  @ApiAnswer(200, 'GateReplyResult', 'A `yes` on the pending plan gate, deduplicated per run')
  @ApiErrors(
    ...BODY_ERRORS,
    ErrorCode.RUN_NOT_FOUND,
    ErrorCode.NO_PENDING_GATE,
    ErrorCode.RATIONALE_REQUIRED,
    ErrorCode.PLAN_HASH_REQUIRED,
    ErrorCode.ROLE_NOT_ALLOWED,
    ErrorCode.SELF_APPROVAL,
    ErrorCode.DEDUPE_CONFLICT,
    ErrorCode.GATE_CLOSED,
    ErrorCode.ALREADY_VOTED,
    ErrorCode.SERVICE_UNAVAILABLE,
  )
  approvePlan(
    @Param('wid') wid: string,
    @Body() dto: ApprovePlanDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<GateReplyResult> {
    return this.replies.approvePlan(wid, dto, principal);
  }
}
