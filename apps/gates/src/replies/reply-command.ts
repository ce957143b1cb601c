import { ArrayMaxSize, IsArray, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import {
  ErrorCode,
  GatehouseError,
  GateReplyDto,
  isValidGateKey,
  payloadHash,
  type ReplyPayloadDto,
  topics,
} from '@gatehouse/contracts';
import { isUuid, isPlainObject, validateDto } from '@gatehouse/contracts';

/** The shape of a GateReplyCommand, checked again here: the gates service trusts no caller. */
class ReplyCommandDto extends GateReplyDto {
  @IsString()
  @MaxLength(64)
  workflowId!: string;

  @IsString()
  gateKey!: string;

  @IsString()
  @MaxLength(80)
  topic!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(64)
  origin!: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  actor?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  onBehalfOf?: string | null;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  actorRoles?: string[];
}

/** A reply that passed every check that needs no database. */
export interface ReplyCommand {
  workflowId: string;
  gateKey: string;
  topic: string;
  /** The payload exactly as received (validated): what the ledger stores and hashes. */
  payload: ReplyPayloadDto;
  payloadHash: string;
  dedupeKey: string;
  origin: string;
  /** The authenticated principal's id; part of what makes a replay a replay. */
  actor: string | null;
  /** The person a signed source relayed the reply for. */
  onBehalfOf: string | null;
  /** The principal's roles (`*`: every role, the anonymous principal under AUTH_MODE=off). */
  actorRoles: string[];
}

/**
 * Rule 1 (400, checked before anything is read) and the part of rule 2 that needs no SQL: a
 * workflow id that is not a UUID names no run, so it is GATE_NOT_FOUND without a query.
 */
export function parseReplyCommand(raw: unknown): ReplyCommand {
  if (!isPlainObject(raw)) throw new GatehouseError(ErrorCode.VALIDATION_FAILED, 'the reply must be a JSON object');
  if (!isValidGateKey(raw.gateKey)) {
    throw new GatehouseError(ErrorCode.INVALID_GATE_KEY, 'gateKey must match ^[a-z0-9][a-z0-9-]{0,62}$');
  }
  const cmd = validateDto(ReplyCommandDto, raw, 'reply');
  const expectedTopic = topics.human(cmd.gateKey);
  if (cmd.topic !== expectedTopic) {
    throw new GatehouseError(ErrorCode.TOPIC_MISMATCH, `topic must be ${expectedTopic} for gate ${cmd.gateKey}`);
  }
  if (!isUuid(cmd.workflowId)) {
    throw new GatehouseError(ErrorCode.GATE_NOT_FOUND, `run ${cmd.workflowId} has no gate ${cmd.gateKey}`);
  }
  const payload = raw.payload as ReplyPayloadDto;
  return {
    workflowId: cmd.workflowId.toLowerCase(),
    gateKey: cmd.gateKey,
    topic: cmd.topic,
    payload,
    payloadHash: payloadHash(payload),
    dedupeKey: cmd.dedupeKey,
    origin: cmd.origin,
    actor: cmd.actor ?? null,
    onBehalfOf: cmd.onBehalfOf ?? null,
    actorRoles: cmd.actorRoles ?? [],
  };
}
