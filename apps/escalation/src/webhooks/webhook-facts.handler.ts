import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CONSUMERS, type InboundMessage, type MessageHandler } from '@gatehouse/messaging';
import { dispatchAfterCommit } from './dispatch-after-commit.subscriber';
import { isWebhookFactSubject, webhookFactsOf } from './fact-mapping';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';

/**
 * evt.>: every fact that maps to a webhook event is queued for the endpoints subscribed to it, in
 * the transaction that records the message in the inbox (so a redelivered message queues nothing
 * twice). Other facts (run snapshots, gate requests) are only acknowledged, with no inbox row. One transaction at a
 * time (in batches), so the queue holds each run's facts in the order of the stream.
 */
@Injectable()
export class WebhookFactsHandler implements MessageHandler {
  readonly consumer = CONSUMERS.escalationWebhookFacts;
  readonly concurrency = 1;

  constructor(private readonly deliveries: WebhookDeliveriesRepository) {}

  /** Run snapshots, gate requests and deadlines are most of evt.>: acknowledged without a transaction. */
  accepts(subject: string): boolean {
    return isWebhookFactSubject(subject);
  }

  async handle(tx: EntityManager, msg: InboundMessage): Promise<void> {
    const facts = webhookFactsOf(msg.subject, msg.json(), msg.msgId);
    if (facts.length === 0) return;
    if ((await this.deliveries.enqueue(tx, facts)) > 0) dispatchAfterCommit(tx);
  }
}
