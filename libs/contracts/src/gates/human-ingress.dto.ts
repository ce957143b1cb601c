import { IsOptional, IsString, MaxLength } from 'class-validator';
import { AttributedReplyDto } from './reply.dto';

/**
 * Body of a reply published on JetStream subject `human.<wid>.<g>` (topic `human:<g>`). The run and
 * gate come from the subject; `workflowId`, `gateKey` and `topic` may be repeated in the body (so a
 * HitlEventDto body can be forwarded as-is) but must then agree with the subject.
 */
export class HumanIngressMessageDto extends AttributedReplyDto {
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
