import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import {
  CreateWebhookDto,
  ErrorCode,
  ListDeliveriesQuery,
  RedeliverDto,
  Role,
  UpdateWebhookDto,
  type RedeliverResult,
  type WebhookDeliveryList,
  type WebhookView,
  type WebhookWithSecret,
} from '@gatehouse/contracts';
import type { Principal } from '@gatehouse/identity';
import { CurrentPrincipal } from '../auth/principal.decorator';
import { RequireRole } from '../auth/require-role';
import { ApiAnswer, ApiErrors } from '../openapi/api-answers';
import { BODY_ERRORS } from '../openapi/route-errors';
import { WebhooksClient } from '../rpc/webhooks.client';

const ID = ApiParam({ name: 'id', description: 'The endpoint id', schema: { type: 'string', format: 'uuid' } });

/**
 * Outbound webhooks (DESIGN section 13): admin only. The escalation service owns the endpoints and
 * delivers to them; a secret is shown only in the answers that make it (create, rotate-secret).
 */
@ApiTags('webhooks')
@RequireRole(Role.ADMIN)
@Controller('api/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksClient) {}

  @Post()
  @HttpCode(201)
  @ApiAnswer(201, 'WebhookWithSecret', 'The new endpoint; `secret` is shown this once')
  @ApiErrors(...BODY_ERRORS, ErrorCode.WEBHOOK_URL_REFUSED, ErrorCode.FORBIDDEN, ErrorCode.SERVICE_UNAVAILABLE)
  create(@Body() dto: CreateWebhookDto, @CurrentPrincipal() principal: Principal): Promise<WebhookWithSecret> {
    return this.webhooks.create({ url: dto.url, events: dto.events, createdBy: principal.id });
  }

  @Get()
  @ApiAnswer(200, 'WebhookList', 'Every endpoint not deleted; never a secret')
  @ApiErrors(ErrorCode.FORBIDDEN, ErrorCode.SERVICE_UNAVAILABLE)
  list(): Promise<WebhookView[]> {
    return this.webhooks.list();
  }

  @Patch(':id')
  @ID
  @ApiAnswer(200, 'Webhook', 'The endpoint; enabling it again sends what waited while it was disabled')
  @ApiErrors(...BODY_ERRORS, ErrorCode.FORBIDDEN, ErrorCode.WEBHOOK_NOT_FOUND, ErrorCode.SERVICE_UNAVAILABLE)
  update(@Param('id') id: string, @Body() dto: UpdateWebhookDto): Promise<WebhookView> {
    return this.webhooks.update({ id, enabled: dto.enabled, events: dto.events });
  }

  @Delete(':id')
  @HttpCode(200)
  @ID
  @ApiAnswer(200, 'Webhook', 'The endpoint, deleted (again: deleting is idempotent); its deliveries stay on record')
  @ApiErrors(ErrorCode.FORBIDDEN, ErrorCode.WEBHOOK_NOT_FOUND, ErrorCode.SERVICE_UNAVAILABLE)
  remove(@Param('id') id: string): Promise<WebhookView> {
    return this.webhooks.remove({ id });
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ID
  @ApiAnswer(
    200,
    'WebhookWithSecret',
    'The new secret, shown this once; the old one signs too until `previousSecretExpiresAt`',
  )
  @ApiErrors(ErrorCode.FORBIDDEN, ErrorCode.WEBHOOK_NOT_FOUND, ErrorCode.SERVICE_UNAVAILABLE)
  rotateSecret(@Param('id') id: string): Promise<WebhookWithSecret> {
    return this.webhooks.rotateSecret({ id });
  }

  @Get(':id/deliveries')
  @ID
  @ApiAnswer(
    200,
    'WebhookDeliveryList',
    'Deliveries, newest first, each with its attempts; `status=DEAD` is the dead-letter list',
  )
  @ApiErrors(
    ErrorCode.VALIDATION_FAILED,
    ErrorCode.FORBIDDEN,
    ErrorCode.WEBHOOK_NOT_FOUND,
    ErrorCode.SERVICE_UNAVAILABLE,
  )
  deliveries(@Param('id') id: string, @Query() query: ListDeliveriesQuery): Promise<WebhookDeliveryList> {
    return this.webhooks.deliveries({ id, status: query.status, limit: query.limit });
  }

  @Post(':id/redeliver')
  @HttpCode(202)
  @ID
  @ApiAnswer(202, 'RedeliverResult', 'Queued again with the same `webhook-id`: one delivery, or every dead letter')
  @ApiErrors(
    ...BODY_ERRORS,
    ErrorCode.FORBIDDEN,
    ErrorCode.WEBHOOK_NOT_FOUND,
    ErrorCode.DELIVERY_NOT_FOUND,
    ErrorCode.SERVICE_UNAVAILABLE,
  )
  redeliver(@Param('id') id: string, @Body() dto: RedeliverDto): Promise<RedeliverResult> {
    return this.webhooks.redeliver({ id, deliveryId: dto?.deliveryId });
  }
}
