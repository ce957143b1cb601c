import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { Type } from 'class-transformer';
import { DeliveryStatus, WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhook-events';

const EVENTS_MESSAGE = `each event must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}`;

/** Body of POST /api/webhooks. The URL's scheme and address are checked by the escalation service. */
export class CreateWebhookDto {
  @IsString()
  @MaxLength(2048)
  @Matches(/^https?:\/\/\S+$/i, { message: 'url must be an http(s) URL' })
  url!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true, message: EVENTS_MESSAGE })
  events!: WebhookEventType[];
}

/** Body of PATCH /api/webhooks/:id: re-enable an endpoint (after a 410), pause it, or change its events. */
export class UpdateWebhookDto {
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true, message: EVENTS_MESSAGE })
  events?: WebhookEventType[];
}

/** Body of POST /api/webhooks/:id/redeliver: one delivery, or (empty body) every dead letter. */
export class RedeliverDto {
  @IsOptional()
  @IsString()
  @Matches(/^[1-9][0-9]{0,17}$/, { message: 'deliveryId must be a delivery id' })
  deliveryId?: string;
}

/** Query of GET /api/webhooks/:id/deliveries. */
export class ListDeliveriesQuery {
  @IsOptional()
  @IsIn(Object.values(DeliveryStatus))
  status?: DeliveryStatus;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}
