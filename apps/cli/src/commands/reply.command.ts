import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { validate, type Operation } from 'fast-json-patch';
import { Decision, type GateReplyResult } from '@gatehouse/contracts';
import { CliError, usageError } from '../cli-error';
import type { CliIo } from '../cli-io';
import { ExitCode } from '../exit-codes';
import { seg } from '../api/gatehouse-api';
import { apiCommand, apiContext, type ApiOptions } from './command-kit';
import { currentPlanHash, fetchGate, findRecordedReply, resolveGateKey } from './gate-target';

interface ReplyOptions extends ApiOptions {
  rationale?: string;
  patch?: string;
  planHash?: string;
  dedupeKey?: string;
}

/** `gatehouse approve` and `gatehouse reject`: one reply (a vote) on a gate, safe to retry. */
export function approveCommand(io: CliIo) {
  return replyCommand(io, 'approve', Decision.APPROVE);
}

export function rejectCommand(io: CliIo) {
  return replyCommand(io, 'reject', Decision.REJECT);
}

function replyCommand(io: CliIo, name: string, decision: Decision.APPROVE | Decision.REJECT) {
  return apiCommand(name, `${name} a gate (a vote, when the gate needs several approvals)`)
    .argument('<wid>', 'the run (workflow) id')
    .argument('[gate]', "the gate key (default: the run's only pending gate)")
    .option('--rationale <text>', 'why; some gates require one')
    .option('--patch <file>', 'a JSON Patch (RFC 6902) file to apply to the plan with this reply')
    .option('--plan-hash <hash>', 'the plan version you reviewed (default: the one `show` displays now)')
    .option('--dedupe-key <key>', 'reuse the key a previous attempt printed, to retry without voting twice')
    .addHelpText(
      'after',
      '\nEach invocation makes one dedupe key and prints it on stderr; retrying with --dedupe-key <key>\n' +
        'is answered with the first outcome instead of a second vote.',
    )
    .action(async (wid: string, gateArg: string | undefined, opts: ReplyOptions) => {
      const ctx = apiContext(io, opts);
      const dedupeKey = opts.dedupeKey ?? `cli-${randomUUID()}`;
      if (!/^[\x21-\x7e]{1,200}$/.test(dedupeKey)) {
        throw usageError('--dedupe-key must be 1-200 printable characters without spaces');
      }
      const patch = opts.patch ? await readPatch(opts.patch) : undefined;
      const recorded = opts.dedupeKey ? await findRecordedReply(ctx.api, wid, dedupeKey, gateArg) : undefined;
      const gateKey = recorded?.gateKey ?? (await resolveGateKey(ctx.api, wid, gateArg));
      const gate = await fetchGate(ctx.api, wid, gateKey);
      const choice = gate.prompt.choices.find((c) => c.decision === decision);
      if (!choice) throw new CliError(`gate ${gateKey} offers no choice that means ${decision}`, ExitCode.CONFLICT);
      if (patch) {
        const problem = validate(patch, structuredClone(gate.prompt.plan));
        if (problem)
          throw usageError(
            `${opts.patch} does not apply to the plan: ${problem.name} ${problem.message.split('\n')[0]}`,
          );
      }
      const recordedHash = typeof recorded?.payload.planHash === 'string' ? recorded.payload.planHash : undefined;
      // A retry sends the plan hash its first attempt sent (or none), so the payload is the same.
      const planHash = opts.planHash ?? (recorded ? recordedHash : currentPlanHash(gate));
      io.log(`dedupe key: ${dedupeKey} (retry with --dedupe-key ${dedupeKey})`);
      const result = await ctx.api.post<GateReplyResult>(
        `/api/runs/${seg(wid)}/gates/${seg(gateKey)}/reply`,
        replyBody(choice.value, dedupeKey, { rationale: opts.rationale, patch, planHash }),
      );
      const out = { ...result, workflowId: wid, gateKey, choice: choice.value, dedupeKey, planHash: planHash ?? null };
      ctx.emit(out, () => [
        result.duplicate
          ? `already recorded: this dedupe key's first reply stands (gate ${gateKey} is ${result.state})`
          : result.state === 'PENDING'
            ? `${choice.value} recorded on ${gateKey} of run ${wid}; the gate waits for more approvals`
            : `${choice.value} recorded on ${gateKey} of run ${wid}: gate ${result.state}`,
      ]);
    });
}

/**
 * The reply body (DESIGN sections 4 and 11). The plan hash the author saw travels in the payload, so
 * it is part of what the dedupe key protects: a retry with another hash is a conflict, not a new vote.
 */
export function replyBody(
  choice: string,
  dedupeKey: string,
  extra: { rationale?: string; patch?: Operation[]; planHash?: string },
): { payload: Record<string, unknown>; dedupeKey: string } {
  const payload: Record<string, unknown> = { choice };
  if (extra.rationale !== undefined) payload.rationale = extra.rationale;
  if (extra.patch !== undefined) payload.patch = extra.patch;
  if (extra.planHash !== undefined) payload.planHash = extra.planHash;
  return { payload, dedupeKey };
}

/** A patch file: a JSON array of operations; anything else stops before a request is sent. */
export async function readPatch(file: string): Promise<Operation[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw usageError(`cannot read --patch ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw usageError(`--patch ${file} is not JSON: ${(err as Error).message}`);
  }
  const isOp = (o: unknown) =>
    typeof o === 'object' &&
    o !== null &&
    typeof (o as Operation).op === 'string' &&
    typeof (o as Operation).path === 'string';
  if (!Array.isArray(parsed) || !parsed.every(isOp)) {
    throw usageError(`--patch ${file} must be a JSON Patch: an array of {op, path, ...} operations`);
  }
  return parsed as Operation[];
}
