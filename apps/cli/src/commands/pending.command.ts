import type { CliIo } from '../cli-io';
import type { InboxItem, InboxPage } from '@gatehouse/contracts';
import { countdown, parseDuration } from '../output/durations';
import { clip, renderTable } from '../output/table';
import { tone, type Style } from '../output/style';
import { apiCommand, apiContext, type ApiOptions } from './command-kit';

interface PendingOptions extends ApiOptions {
  state?: string;
  recipe?: string;
  risk?: string;
  partition?: string;
  olderThan?: string;
  mine?: boolean;
  limit?: string;
  cursor?: string;
  all?: boolean;
}

/** `gatehouse pending`: the inbox (GET /api/gates), soonest deadline first. */
export function pendingCommand(io: CliIo) {
  return apiCommand('pending', 'list gates waiting for a decision across runs (the inbox)')
    .option('--state <state>', 'PENDING (default), RECEIVED, TIMED_OUT or CANCELLED')
    .option('--recipe <name>', 'only runs of this recipe')
    .option('--risk <level>', 'only gates of this risk level: low, medium, high, critical')
    .option('--partition <key>', 'only runs of this queue partition (tenant)')
    .option('--older-than <duration>', 'only gates open longer than this, e.g. 30m, 2h')
    .option('--mine', 'only gates you may decide')
    .option('--limit <n>', 'gates per page, 1-200 (default 50)')
    .option('--cursor <cursor>', 'the next page, as printed after a full page')
    .option('--all', 'follow every page')
    .action(async (opts: PendingOptions) => {
      const ctx = apiContext(io, opts);
      const query = inboxQuery(opts);
      const items: InboxItem[] = [];
      let nextCursor: string | null = null;
      do {
        const page: InboxPage = await ctx.api.get<InboxPage>('/api/gates', {
          ...query,
          cursor: nextCursor ?? query.cursor,
        });
        items.push(...page.items);
        nextCursor = page.nextCursor;
      } while (opts.all && nextCursor);
      ctx.emit({ items, nextCursor }, () => inboxLines(items, ctx.style, io.now()));
      if (!ctx.json && nextCursor) io.log(`more gates: gatehouse pending --cursor ${nextCursor} (or --all)`);
    });
}

/** Flags to the inbox's query parameters (DESIGN section 14); the API judges the values. */
export function inboxQuery(opts: PendingOptions): Record<string, string | undefined> {
  return {
    state: opts.state,
    recipe: opts.recipe,
    riskLevel: opts.risk,
    partition: opts.partition,
    olderThanS: opts.olderThan ? String(parseDuration(opts.olderThan, '--older-than')) : undefined,
    mine: opts.mine ? 'true' : undefined,
    limit: opts.limit,
    cursor: opts.cursor,
  };
}

export function inboxLines(items: InboxItem[], style: Style, now: Date): string[] {
  if (!items.length) return ['no gates waiting'];
  return renderTable(
    ['run', 'gate', 'title', 'risk', 'approvals', 'deadline'],
    items.map((g) => {
      const due = countdown(g.deadlineAt, now);
      return [
        g.workflowId,
        g.gateKey,
        clip(g.title ?? g.run.goal ?? '', 40),
        tone(style, g.riskLevel),
        `${g.approvals.count}/${g.approvals.required}`,
        due.startsWith('overdue') ? style.red(due) : due,
      ];
    }),
  );
}
