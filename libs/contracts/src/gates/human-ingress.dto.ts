import { Type } from 'class-transformer';
import { IsDefined, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { DEDUPE_KEY_PATTERN, ReplyPayloadDto } from './reply.dto';

/**
 * Body of a reply published on JetStream subject `human.<wid>.<g>` (topic `human:<g>`). The run and
 * gate come from the subject; `workflowId`, `gateKey` and `topic` may be repeated in the body (so a
 * HitlEventDto body can be forwarded as-is) but must then agree with the subject.
 */
export class HumanIngressMessageDto {
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => ReplyPayloadDto)
  payload!: ReplyPayloadDto;

  @IsString()
  @Matches(DEDUPE_KEY_PATTERN, { message: 'dedupeKey must be 1-200 printable characters without spaces' })
  dedupeKey!: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  origin?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  actor?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  workflowId?: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  gateKey?: string;

  @IsOptional()
  @IsString()
  @MaxLength(80)
  topic?: string;
}
