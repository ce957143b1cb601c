import { Type } from 'class-transformer';
import {
  IsDefined,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';

export class WorkloadDto {
  @IsInt()
  @Min(1)
  @Max(64)
  concurrency!: number;

  @IsInt()
  @Min(0)
  @Max(1000)
  steps!: number;

  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1440)
  sandboxMinutes!: number;
}

/**
 * Body of POST /api/runs. The queue and partition laws are checked after the shape
 * (see run-laws.ts) so that they answer with their own error codes.
 */
export class StartRunDto {
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  intentId!: string;

  @IsString()
  @MaxLength(64)
  queueName!: string;

  @IsOptional()
  @IsString()
  @MaxLength(128)
  queuePartitionKey?: string;

  @IsString()
  @MinLength(1)
  @MaxLength(64)
  recipeName!: string;

  @IsDefined()
  @ValidateNested()
  @Type(() => WorkloadDto)
  workload!: WorkloadDto;
}

export interface StartRunResult {
  workflowID: string;
  created: boolean;
}

/**
 * `rpc.runs.start-run`: the body plus the principal who asked, recorded on the run as its requester
 * (self-approval is judged against it). The gateway fills it from the authenticated principal.
 */
export class StartRunCommand extends StartRunDto {
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  requestedBy?: string;
}
