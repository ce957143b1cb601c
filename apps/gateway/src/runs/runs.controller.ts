import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { StartRunDto, type RunView } from '@gatehouse/contracts';
import { RunStatusStreamService, type StatusSink } from './run-status-stream.service';
import { RunsService } from './runs.service';

@ApiTags('runs')
@Controller('api/runs')
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly stream: RunStatusStreamService,
  ) {}

  @Post()
  @HttpCode(202)
  start(@Body() dto: StartRunDto): Promise<{ workflowID: string }> {
    return this.runs.startRun(dto);
  }

  @Get(':wid')
  get(@Param('wid') wid: string): Promise<RunView> {
    return this.runs.getRun(wid);
  }

  /** NDJSON, one snapshot per change, ending after the terminal one. */
  @Get(':wid/stream/status')
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
