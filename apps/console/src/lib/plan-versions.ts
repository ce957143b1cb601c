import { applyPatch, compare, deepClone, validate, type Operation } from 'fast-json-patch';

/** A ledger row as far as plan versions care: who sent which patch, when. */
export interface PatchRow {
  payload: unknown;
  actor: string | null;
  createdAt: string;
}

export interface PlanVersion {
  /** 1 for the compiled plan, then one more per accepted patch. */
  n: number;
  plan: unknown;
  /** Who made it (null for the compiled plan) and when. */
  by: string | null;
  at: string | null;
  /** What changed from the version before (RFC 6902 operations); empty for the first. */
  changes: Operation[];
}

function patchOf(payload: unknown): Operation[] | undefined {
  const patch = (payload as { patch?: unknown } | null)?.patch;
  return Array.isArray(patch) && patch.length > 0 ? (patch as Operation[]) : undefined;
}

/**
 * The plan's versions: the compiled plan, then each accepted reply's patch applied in ledger order
 * (as the run applies them). A patch that does not apply is shown as failed, not guessed at.
 */
export function planVersions(compiled: unknown, ledger: PatchRow[]): PlanVersion[] {
  const versions: PlanVersion[] = [{ n: 1, plan: compiled, by: null, at: null, changes: [] }];
  for (const row of ledger) {
    const patch = patchOf(row.payload);
    if (!patch) continue;
    const prev = versions[versions.length - 1].plan;
    const next = preview(prev, patch);
    if (!next.ok) continue;
    versions.push({ n: versions.length + 1, plan: next.plan, by: row.actor, at: row.createdAt, changes: next.changes });
  }
  return versions;
}

export type Preview = { ok: true; plan: unknown; changes: Operation[] } | { ok: false; message: string };

/** The plan as it would be after `patch`, without touching `plan`; the reason when it does not apply. */
export function preview(plan: unknown, patch: unknown): Preview {
  if (!Array.isArray(patch)) return { ok: false, message: 'a JSON Patch is an array of operations' };
  const doc = deepClone(plan ?? {});
  const problem = validate(patch as Operation[], doc);
  if (problem) return { ok: false, message: `${problem.name}: ${problem.message.split('\n')[0]}` };
  try {
    // As the run applies it (validated, prototype changes banned); the run's answer stays the truth.
    const next = applyPatch(doc, patch as Operation[], true, false, true).newDocument;
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      return { ok: false, message: 'the patched plan is not a JSON object' };
    }
    return { ok: true, plan: next, changes: compare(plan as object, next as object) };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  }
}

/** Parses the text of a patch field: undefined when empty, else the operations or the parse error. */
export function parsePatch(
  text: string,
): { ok: true; patch: Operation[] | undefined } | { ok: false; message: string } {
  if (!text.trim()) return { ok: true, patch: undefined };
  try {
    const patch = JSON.parse(text) as unknown;
    if (!Array.isArray(patch)) return { ok: false, message: 'a JSON Patch is an array of operations' };
    return { ok: true, patch: patch as Operation[] };
  } catch (err) {
    return { ok: false, message: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
}
