import { Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';

/** One RFC 6902 operation of a plan patch. */
export class JsonPatchOpDto {
  @IsIn(['add', 'remove', 'replace', 'move', 'copy', 'test'])
  op!: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';

  @IsString()
  @MaxLength(512)
  path!: string;

  @IsOptional()
  @IsString()
  @MaxLength(512)
  from?: string;

  @Allow()
  value?: unknown;
}

export class ReplyPayloadDto {
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  choice!: string;

  @IsOptional()
  @IsString()
  @MaxLength(4000)
  rationale?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => JsonPatchOpDto)
  patch?: JsonPatchOpDto[];

  /** The plan version its author saw (the prompt's or the gate's `planHash`); a stale one is PLAN_CHANGED. */
  @IsOptional()
  @Matches(/^[a-f0-9]{64}$/, { message: 'planHash must be 64 lowercase hex characters (SHA-256)' })
  planHash?: string;
}

/** Printable, no whitespace: dedupe keys are echoed in logs and audit entries. */
export const DEDUPE_KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

/** Body of POST /api/runs/:wid/gates/:g/reply. */
export class GateReplyDto {
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => ReplyPayloadDto)
  payload!: ReplyPayloadDto;

  @IsString()
  @Matches(DEDUPE_KEY_PATTERN, { message: 'dedupeKey must be 1-200 printable characters without spaces' })
  dedupeKey!: string;
}

/** A reply that says where it came from: the external receiver's and the bus's common fields. */
export class AttributedReplyDto extends GateReplyDto {
  @IsOptional()
  @IsString()
  @MaxLength(64)
  origin?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  actor?: string;
}

/** Body of POST /api/events/hitl. */
export class HitlEventDto extends AttributedReplyDto {
  @IsString()
  @MaxLength(64)
  workflowId!: string;

  @IsString()
  @MaxLength(64)
  gateKey!: string;

  @IsString()
  @MaxLength(80)
  topic!: string;
}

/** Body of POST /api/runs/:wid/approve-plan (legacy bridge). */
export class ApprovePlanDto {
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  approvedBy!: string;

  @IsOptional()
  @IsString()
  @MaxLength(4000)
  notes?: string;
}
