import { applyPatch, type Operation } from 'fast-json-patch';
import { payloadHash } from '../hashing/canonical-json';
import type { JsonPatchOpDto } from './reply.dto';

/** A compiled plan: a JSON object. */
export type Plan = Record<string, unknown>;

export type PatchOutcome =
  { ok: true; plan: Plan; planHash: string; operations: number } | { ok: false; message: string };

/**
 * Applies an RFC 6902 patch (a vote's, or the approved version's) to a copy of the plan: the gates service
 * to make a new plan version, the runs service to execute exactly the approved one. A patch that does not apply (bad path, failed `test`, a result that is not an object) is an outcome, never an exception, so the
 * run can end `PATCH_INVALID` instead of retrying forever.
 */
export function applyPlanPatch(plan: Plan, patch: readonly JsonPatchOpDto[] | null | undefined): PatchOutcome {
  const operations = patch ?? [];
  if (operations.length === 0) return { ok: true, plan, planHash: payloadHash(plan), operations: 0 };
  let patched: unknown;
  try {
    patched = applyPatch(structuredClone(plan), operations as Operation[], true, true, true).newDocument;
  } catch (err) {
    const e = err as { name?: string; message?: string; index?: number };
    const where = typeof e.index === 'number' ? ` (operation ${e.index})` : '';
    return { ok: false, message: `${firstLine(e.message)}${where}` };
  }
  if (typeof patched !== 'object' || patched === null || Array.isArray(patched)) {
    return { ok: false, message: 'the patched plan is not a JSON object' };
  }
  const result = patched as Plan;
  return { ok: true, plan: result, planHash: payloadHash(result), operations: operations.length };
}

/** fast-json-patch appends the whole operation and tree to its messages; keep the first line. */
function firstLine(message: string | undefined): string {
  return (message ?? 'patch could not be applied').split('\n')[0].slice(0, 300);
}
