import type { ErrorCode } from '../errors/error-code';

/**
 * `sys.gatehouse.rejected-reply`: a reply published on `human.<wid>.<g>` was refused (bad JSON, failed
 * validation, unknown gate, or a reply rule). Nobody waits for an answer on the bus, so this is how the
 * publisher (or an operator) learns of it. `workflowId`/`gateKey` are the subject's tokens as given
 * (null when the subject is not `human.<a>.<b>`).
 */
export interface RejectedReplyAnnouncement {
  workflowId: string | null;
  gateKey: string | null;
  dedupeKey?: string;
  error: { error: ErrorCode; message: string };
  at: string;
}
