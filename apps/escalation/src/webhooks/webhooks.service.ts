import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import {
  DeliveryStatus,
  ErrorCode,
  GatehouseError,
  isUuid,
  isWebhookEventType,
  type RedeliverResult,
  type WebhookDeliveryList,
  type WebhookEventType,
  type WebhookView,
  type WebhookWithSecret,
} from '@gatehouse/contracts';
import type { EscalationEnv } from '../config/escalation.env';
import { AddressRefusedError, checkWebhookUrl } from './address-guard';
import { SecretBox } from './secret-box';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { WebhookDispatcherService } from './webhook-dispatcher.service';
import { generateWebhookSecret } from './webhook-signature';

type Input = Record<string, unknown>;

const DEFAULT_LIST_LIMIT = 50;

/**
 * The admin's use cases over webhook endpoints (DESIGN section 13). Requests come over the bus from
 * the gateway, which has checked their shape; they are checked again here, where the rules live.
 */
@Injectable()
export class WebhooksService {
  private readonly security = new Logger('Security');
  private readonly allowPrivate: boolean;
  private readonly overlapS: number;

  constructor(
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly box: SecretBox,
    private readonly dispatcher: WebhookDispatcherService,
    config: ConfigService<EscalationEnv, true>,
  ) {
    this.allowPrivate = config.get('WEBHOOK_ALLOW_PRIVATE', { infer: true });
    this.overlapS = config.get('WEBHOOK_SECRET_OVERLAP_S', { infer: true });
  }

  async create(input: unknown): Promise<WebhookWithSecret> {
    const { url, events, createdBy } = objectOf(input);
    if (typeof url !== 'string' || url.length > 2048) throw invalid('url must be a string of at most 2048 characters');
    const checkedEvents = eventsOf(events);
    if (typeof createdBy !== 'string' || createdBy === '') throw invalid('createdBy is required');
    const checked = await this.checkUrl(url);
    const secret = generateWebhookSecret();
    const view = await this.endpoints.insert({
      id: randomUUID(),
      url: checked.href,
      events: checkedEvents,
      sealedSecret: this.box.seal(secret),
      createdBy,
    });
    this.security.log({ msg: 'webhook endpoint created', webhookId: view.id, events: view.events, by: createdBy });
    return { ...view, secret };
  }

  list(): Promise<WebhookView[]> {
    return this.endpoints.list();
  }

  async update(input: unknown): Promise<WebhookView> {
    const { id, enabled, events } = objectOf(input);
    if (enabled !== undefined && typeof enabled !== 'boolean') throw invalid('enabled must be a boolean');
    const view = await this.endpoints.update(idOf(id), {
      enabled: enabled as boolean | undefined,
      events: events === undefined ? undefined : eventsOf(events),
    });
    if (!view) throw notFound();
    if (enabled !== undefined) {
      // Re-enabled: what waited while it was disabled goes out now, in order.
      await this.deliveries.park(view.id, !view.enabled);
      if (view.enabled) this.dispatcher.kick();
    }
    return view;
  }

  async rotateSecret(input: unknown): Promise<WebhookWithSecret> {
    const id = idOf(objectOf(input).id);
    const secret = generateWebhookSecret();
    const view = await this.endpoints.rotate(id, this.box.seal(secret), this.overlapS);
    if (!view) throw notFound();
    this.security.log({ msg: 'webhook secret rotated', webhookId: id, previousUntil: view.previousSecretExpiresAt });
    return { ...view, secret };
  }

  async remove(input: unknown): Promise<WebhookView> {
    const id = idOf(objectOf(input).id);
    const view = await this.endpoints.remove(id);
    if (!view) throw notFound();
    await this.deliveries.park(id, true);
    this.security.log({ msg: 'webhook endpoint deleted', webhookId: id });
    return view;
  }

  async deliveriesOf(input: unknown): Promise<WebhookDeliveryList> {
    const { id, status, limit } = objectOf(input);
    const endpointId = idOf(id);
    if (status !== undefined && !(Object.values(DeliveryStatus) as unknown[]).includes(status)) {
      throw invalid(`status must be one of ${Object.values(DeliveryStatus).join(', ')}`);
    }
    if (limit !== undefined && !(Number.isInteger(limit) && (limit as number) >= 1 && (limit as number) <= 200)) {
      throw invalid('limit must be an integer 1..200');
    }
    if (!(await this.endpoints.find(endpointId))) throw notFound();
    const items = await this.deliveries.list(
      endpointId,
      status as DeliveryStatus | undefined,
      (limit as number | undefined) ?? DEFAULT_LIST_LIMIT,
    );
    return { items };
  }

  async redeliver(input: unknown): Promise<RedeliverResult> {
    const { id, deliveryId } = objectOf(input);
    const endpointId = idOf(id);
    if (deliveryId !== undefined && !(typeof deliveryId === 'string' && /^[1-9][0-9]{0,17}$/.test(deliveryId))) {
      throw invalid('deliveryId must be a delivery id');
    }
    if (!(await this.endpoints.find(endpointId))) throw notFound();
    const redelivered = await this.deliveries.redeliver(endpointId, deliveryId as string | undefined);
    if (redelivered === null) {
      throw new GatehouseError(ErrorCode.DELIVERY_NOT_FOUND, `no delivery ${String(deliveryId)} for this endpoint`);
    }
    if (redelivered > 0) this.dispatcher.kick();
    return { redelivered };
  }

  private async checkUrl(url: string): Promise<URL> {
    try {
      return await checkWebhookUrl(url, this.allowPrivate);
    } catch (err) {
      if (err instanceof AddressRefusedError) throw new GatehouseError(ErrorCode.WEBHOOK_URL_REFUSED, err.message);
      throw err;
    }
  }
}

function objectOf(input: unknown): Input {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw invalid('expected an object');
  return input as Input;
}

function idOf(id: unknown): string {
  if (!isUuid(id)) throw notFound();
  return (id as string).toLowerCase();
}

function eventsOf(events: unknown): WebhookEventType[] {
  if (!Array.isArray(events) || events.length === 0 || !events.every(isWebhookEventType)) {
    throw invalid('events must be a non-empty list of webhook event types');
  }
  if (new Set(events).size !== events.length) throw invalid('events must not repeat');
  return events;
}

const invalid = (message: string) => new GatehouseError(ErrorCode.VALIDATION_FAILED, message);
const notFound = () => new GatehouseError(ErrorCode.WEBHOOK_NOT_FOUND, 'no such webhook endpoint');
