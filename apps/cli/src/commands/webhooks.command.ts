import { Command } from 'commander';
import type { CliIo } from '../cli-io';
import { seg } from '../api/gatehouse-api';
import type { WebhookDeliveryView, WebhookView, WebhookWithSecret } from '@gatehouse/contracts';
import { renderTable } from '../output/table';
import { apiCommand, apiContext, type ApiOptions } from './command-kit';
import { confirmOrStop } from './confirm';

const path = (id: string, rest = '') => `/api/webhooks/${seg(id)}${rest}`;

/** `gatehouse webhooks ...`: a thin layer over /api/webhooks (admin only, DESIGN section 13). */
export function webhooksCommand(io: CliIo): Command {
  const hooks = new Command('webhooks').description('outbound webhook endpoints (admin)');

  hooks.addCommand(
    apiCommand('list', 'list webhook endpoints').action(async (opts: ApiOptions) => {
      const ctx = apiContext(io, opts);
      const list = await ctx.api.get<WebhookView[]>('/api/webhooks');
      ctx.emit(list, () =>
        list.length
          ? renderTable(
              ['id', 'url', 'events', 'enabled'],
              list.map((w) => [
                w.id,
                w.url,
                w.events.join(','),
                w.enabled ? 'yes' : ctx.style.red(`no${w.disabledReason ? ` (${w.disabledReason})` : ''}`),
              ]),
            )
          : ['no webhooks'],
      );
    }),
  );

  hooks.addCommand(
    apiCommand('create', 'register an endpoint; its signing secret is printed this once')
      .requiredOption('--endpoint <url>', 'where to deliver, e.g. https://pager.example.com/hooks')
      .requiredOption('--event <types...>', 'facts to deliver, e.g. gate.opened gate.decided run.finished')
      .action(async (opts: ApiOptions & { endpoint: string; event: string[] }) => {
        const ctx = apiContext(io, opts);
        const created = await ctx.api.post<WebhookWithSecret>('/api/webhooks', {
          url: opts.endpoint,
          events: opts.event,
        });
        ctx.emit(created, () => [`created webhook ${created.id} -> ${created.url}`, `secret: ${created.secret}`]);
        io.log('store the secret now: it is shown once');
      }),
  );

  hooks.addCommand(
    apiCommand('deliveries', "list an endpoint's deliveries, newest first")
      .argument('<id>', 'the webhook id')
      .option('--status <status>', 'PENDING, DELIVERED or DEAD (the dead-letter list)')
      .option('--limit <n>', 'at most this many, 1-200')
      .action(async (id: string, opts: ApiOptions & { status?: string; limit?: string }) => {
        const ctx = apiContext(io, opts);
        const list = await ctx.api.get<{ items: WebhookDeliveryView[] }>(path(id, '/deliveries'), {
          status: opts.status,
          limit: opts.limit,
        });
        ctx.emit(list, () =>
          list.items.length
            ? renderTable(
                ['id', 'event', 'run', 'status', 'attempts', 'last code', 'created'],
                list.items.map((d) => [
                  d.id,
                  d.eventType,
                  d.workflowId,
                  d.status === 'DEAD' ? ctx.style.red(d.status) : d.status,
                  String(d.attempts),
                  d.lastStatusCode == null ? '-' : String(d.lastStatusCode),
                  d.createdAt,
                ]),
              )
            : ['no deliveries'],
        );
      }),
  );

  hooks.addCommand(
    apiCommand('redeliver', 'deliver again: one delivery, or every dead letter of the endpoint')
      .argument('<id>', 'the webhook id')
      .option('--delivery <deliveryId>', 'only this delivery (from `webhooks deliveries`)')
      .action(async (id: string, opts: ApiOptions & { delivery?: string }) => {
        const ctx = apiContext(io, opts);
        const body = opts.delivery ? { deliveryId: opts.delivery } : {};
        const result = await ctx.api.post<{ redelivered: number }>(path(id, '/redeliver'), body);
        ctx.emit(result, () => [`${result.redelivered} deliver${result.redelivered === 1 ? 'y' : 'ies'} queued again`]);
      }),
  );

  hooks.addCommand(
    apiCommand('rotate', 'rotate the signing secret; the old one keeps signing for a while')
      .argument('<id>', 'the webhook id')
      .action(async (id: string, opts: ApiOptions) => {
        const ctx = apiContext(io, opts);
        const rotated = await ctx.api.post<WebhookWithSecret>(path(id, '/rotate-secret'));
        ctx.emit(rotated, () => [
          `rotated the secret of webhook ${id}`,
          `secret: ${rotated.secret}`,
          ...(rotated.previousSecretExpiresAt
            ? [`the previous secret also signs until ${rotated.previousSecretExpiresAt}`]
            : []),
        ]);
        io.log('store the secret now: it is shown once');
      }),
  );

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    hooks.addCommand(
      apiCommand(name, `${name} deliveries to an endpoint`)
        .argument('<id>', 'the webhook id')
        .action(async (id: string, opts: ApiOptions) => {
          const ctx = apiContext(io, opts);
          const view = await ctx.api.patch<WebhookView>(path(id), { enabled });
          ctx.emit(view, () => [`webhook ${id} ${view.enabled ? 'enabled' : 'disabled'}`]);
        }),
    );
  }

  hooks.addCommand(
    apiCommand('delete', 'delete an endpoint; nothing more is delivered to it')
      .argument('<id>', 'the webhook id')
      .option('-y, --yes', 'do not ask for confirmation')
      .action(async (id: string, opts: ApiOptions & { yes?: boolean }) => {
        const ctx = apiContext(io, opts);
        await confirmOrStop(io, `Delete webhook ${id}?`, opts.yes);
        const deleted = await ctx.api.delete<WebhookView>(path(id));
        ctx.emit(deleted, () => [`deleted webhook ${id}`]);
      }),
  );
  return hooks;
}
