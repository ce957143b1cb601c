import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { checkInboxQuery, decodeInboxCursor, encodeInboxCursor, type InboxPage } from '@gatehouse/contracts';
import { InboxRepository } from './inbox.repository';

/** `rpc.gates.inbox`: one page of the operators' inbox and the cursor of the next. */
@Injectable()
export class InboxService {
  constructor(
    private readonly ds: DataSource,
    private readonly inbox: InboxRepository,
  ) {}

  async page(body: unknown): Promise<InboxPage> {
    const q = checkInboxQuery(body);
    const after = q.cursor === undefined ? undefined : decodeInboxCursor(q.cursor);
    // One row more than asked tells whether a next page exists without a count.
    const rows = await this.inbox.page(this.ds, q, after, q.limit + 1);
    const items = rows.slice(0, q.limit);
    const last = rows.length > q.limit ? items[items.length - 1] : undefined;
    return { items: items.map((r) => r.item), nextCursor: last ? encodeInboxCursor(last.position) : null };
  }
}
