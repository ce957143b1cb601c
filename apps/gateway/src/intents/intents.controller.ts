import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CreateIntentDto, ErrorCode, type CreateIntentResult } from '@gatehouse/contracts';
import { ApiAnswer, ApiErrors } from '../openapi/api-answers';
import { BODY_ERRORS } from '../openapi/route-errors';
import { RunsService } from '../runs/runs.service';

@ApiTags('intents')
@Controller('api/intents')
export class IntentsController {
  constructor(private readonly runs: RunsService) {}

  @Post()
  @HttpCode(201)
  @ApiAnswer(201, 'IntentCreated', 'The intent is stored; start a run with its id')
  @ApiErrors(...BODY_ERRORS, ErrorCode.SERVICE_UNAVAILABLE)
  create(@Body() dto: CreateIntentDto): Promise<CreateIntentResult> {
    return this.runs.createIntent(dto);
  }
}
