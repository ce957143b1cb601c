import { Command } from 'commander';
import type { CliIo } from '../cli-io';
import { seg } from '../api/gatehouse-api';
import type { WebhookDelivery, WebhookView } from '../api/views';
import { renderTable } from '../output/table';
import { apiCommand, apiContext, type ApiOptions } from './command-kit';
import { confirmOrStop } from './confirm';

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
                w.disabled || w.disabledAt ? ctx.style.red('no') : 'yes',
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
        const created = await ctx.api.post<WebhookView>('/api/webhooks', { url: opts.endpoint, events: opts.event });
        ctx.emit(created, () => [
          `created webhook ${created.id} -> ${created.url}`,
          `secret: ${created.secret ?? '-'}`,
        ]);
        io.log('store the secret now: it is shown once');
      }),
  );

  hooks.addCommand(
    apiCommand('deliveries', "list an endpoint's delivery attempts")
      .argument('<id>', 'the webhook id')
      .action(async (id: string, opts: ApiOptions) => {
        const ctx = apiContext(io, opts);
        const list = await ctx.api.get<WebhookDelivery[] | { items: WebhookDelivery[] }>(
          `/api/webhooks/${seg(id)}/deliveries`,
        );
        const rows = Array.isArray(list) ? list : list.items;
        ctx.emit(list, () =>
          rows.length
            ? renderTable(
                ['id', 'event', 'status', 'code', 'attempt', 'at'],
                rows.map((d) => [
                  d.id,
                  d.eventType ?? d.type ?? '-',
                  d.status,
                  d.responseCode == null ? '-' : String(d.responseCode),
                  d.attempt == null ? '-' : String(d.attempt),
                  d.createdAt ?? '-',
                ]),
              )
            : ['no deliveries'],
        );
      }),
  );

  for (const [name, path, description, done] of [
    [
      'rotate',
      'rotate-secret',
      'rotate the signing secret (old and new both sign for a while)',
      'rotated the secret of',
    ],
    ['redeliver', 'redeliver', 'deliver the dead-lettered facts of an endpoint again', 'redelivery queued for'],
  ] as const) {
    hooks.addCommand(
      apiCommand(name, description)
        .argument('<id>', 'the webhook id')
        .action(async (id: string, opts: ApiOptions) => {
          const ctx = apiContext(io, opts);
          const result = await ctx.api.post<WebhookView & Record<string, unknown>>(`/api/webhooks/${seg(id)}/${path}`);
          ctx.emit(result, () => [`${done} webhook ${id}`, ...(result?.secret ? [`secret: ${result.secret}`] : [])]);
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
        const result = await ctx.api.delete<unknown>(`/api/webhooks/${seg(id)}`);
        ctx.emit(result ?? { ok: true, id }, () => [`deleted webhook ${id}`]);
      }),
  );
  return hooks;
}
