import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  ErrorCode,
  RunControlAction,
  RunControlDto,
  StartRunDto,
  type RunControlResult,
  type RunView,
} from '@gatehouse/contracts';
import type { Principal } from '@gatehouse/identity';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { ApiAnswer, ApiErrors } from '../openapi/api-answers';
import { BODY_ERRORS } from '../openapi/route-errors';
import { ref } from '../openapi/view-schemas';
import { RunStatusStreamService, type StatusSink } from './run-status-stream.service';
import { RunsService } from './runs.service';

const RUN_CONTROL_ERRORS = [
  ...BODY_ERRORS,
  ErrorCode.RUN_NOT_FOUND,
  ErrorCode.RUN_CONTROL_FORBIDDEN,
  ErrorCode.RUN_FINISHED,
  ErrorCode.SERVICE_UNAVAILABLE,
];

@ApiTags('runs')
@Controller('api/runs')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly stream: RunStatusStreamService,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiAnswer(202, 'RunAccepted', 'The run is enqueued (or already was, for the same intent)')
  @ApiErrors(
    ...BODY_ERRORS,
    ErrorCode.QUEUE_NOT_ALLOWED,
    ErrorCode.PARTITION_KEY_REQUIRED,
    ErrorCode.UNKNOWN_RECIPE,
    ErrorCode.INTENT_NOT_FOUND,
    ErrorCode.SERVICE_UNAVAILABLE,
  )
  start(@Body() dto: StartRunDto, @CurrentPrincipal() principal: Principal): Promise<{ workflowID: string }> {
    return this.runs.startRun(dto, principal);
  }

  @Post(':wid/pause')
  @HttpCode(200)
  @ApiAnswer(200, 'RunControlResult', 'Paused: the step in flight finishes, then the run holds (idempotent)')
  @ApiErrors(...RUN_CONTROL_ERRORS)
  pause(
    @Param('wid') wid: string,
    @Body() dto: RunControlDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RunControlResult> {
    return this.runs.control(wid, RunControlAction.PAUSE, dto, principal);
  }

  @Post(':wid/resume')
  @HttpCode(200)
  @ApiAnswer(200, 'RunControlResult', 'Resumed: held work and decisions taken while paused apply in order (idempotent)')
  @ApiErrors(...RUN_CONTROL_ERRORS)
  resume(
    @Param('wid') wid: string,
    @Body() dto: RunControlDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RunControlResult> {
    return this.runs.control(wid, RunControlAction.RESUME, dto, principal);
  }

  @Post(':wid/cancel')
  @HttpCode(200)
  @ApiAnswer(
    200,
    'RunControlResult',
    'Cancelled: the run ends CANCELLED and its pending gates are cancelled (idempotent)',
  )
  @ApiErrors(...RUN_CONTROL_ERRORS)
  cancel(
    @Param('wid') wid: string,
    @Body() dto: RunControlDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RunControlResult> {
    return this.runs.control(wid, RunControlAction.CANCEL, dto, principal);
  }

  @Get(':wid')
  @ApiAnswer(200, 'RunView', 'The run as the runs service has it now')
  @ApiErrors(ErrorCode.RUN_NOT_FOUND, ErrorCode.SERVICE_UNAVAILABLE)
  get(@Param('wid') wid: string): Promise<RunView> {
    return this.runs.getRun(wid);
  }

  /** NDJSON, one snapshot per change, ending after the terminal one. */
  @Get(':wid/stream/status')
  @ApiProduces('application/x-ndjson')
  @ApiResponse({
    status: 200,
    description: 'One RunView per line, one per change; the stream ends after the terminal one',
    content: { 'application/x-ndjson': { schema: ref('RunView') } },
  })
  @ApiErrors(ErrorCode.RUN_NOT_FOUND, ErrorCode.SERVICE_UNAVAILABLE)
  async status(@Param('wid') wid: string, @Res() reply: FastifyReply): Promise<void> {
    const res = reply.raw;
    // Once the stream writes to Node's response itself, Fastify must not answer too; until then an
    // error (unknown run, services down) is answered by the exception filter through the reply.
    const own = () => {
      if (!reply.sent) reply.hijack();
    };
    const closed = new AbortController();
    res.on('close', () => closed.abort());
    const sink: StatusSink = {
      write: (line) => {
        if (!res.headersSent) {
          own();
          res.statusCode = 200;
          res.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
          res.setHeader('Cache-Control', 'no-store');
          res.setHeader('X-Accel-Buffering', 'no');
        }
        res.write(line);
      },
      end: () => {
        own();
        res.end();
      },
    };
    await this.stream.open(wid, sink, closed.signal);
  }
}
