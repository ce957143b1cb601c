import { applyPatch, type Operation } from 'fast-json-patch';
import { payloadHash, type JsonPatchOpDto } from '@gatehouse/contracts';
import type { Plan } from '../adapters/compiler';

export type PatchOutcome =
  { ok: true; plan: Plan; planHash: string; operations: number } | { ok: false; message: string };

/**
 * Applies an approved RFC 6902 patch to a copy of the plan. A patch that does not apply (bad
 * path, failed `test`, a result that is not an object) is an outcome, never an exception, so the
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
