import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import { CreateIntentDto, type CreateIntentResult } from '@gatehouse/contracts';
import { RunsService } from '../runs/runs.service';

@ApiTags('intents')
@Controller('api/intents')
export class IntentsController {
  constructor(private readonly runs: RunsService) {}

  @Post()
  @HttpCode(201)
  @ApiBody({
    schema: {
      type: 'object',
      required: ['goal'],
      properties: { goal: { type: 'string' }, inputs: { type: 'object' }, constraints: { type: 'object' } },
    },
  })
  create(@Body() dto: CreateIntentDto): Promise<CreateIntentResult> {
    return this.runs.createIntent(dto);
  }
}
