import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  ErrorCode,
  GatehouseError,
  NextAction,
  RUN_CONTROL_ACTIONS,
  RunControlAction,
  RunErrorCode,
  RunStatus,
  assertUnreachable,
  isPlainObject,
  isTerminalRunStatus,
  isUuid,
  runMessageIds,
  type RunControlCommand,
  type RunControlResult,
} from '@gatehouse/contracts';
import { OutboxService } from '@gatehouse/messaging';
import { PlanGateService } from '../pipeline/plan-gate.service';
import { runControlMessage } from '../runs/run-messages';
import type { RunRow } from '../runs/run-row';
import { RunWriter } from '../runs/run-writer.service';
import { RunsRepository } from '../runs/runs.repository';
import { HeldWorkRepository } from './held-work.repository';
import { mayControlRun } from './run-control-access';
import { RunControlRepository } from './run-control.repository';

function commandOf(body: unknown): RunControlCommand {
  const bad = (what: string) => new GatehouseError(ErrorCode.VALIDATION_FAILED, what);
  if (!isPlainObject(body)) throw bad('run control must be an object');
  const { workflowId, action, reason, actor, roles } = body;
  if (typeof workflowId !== 'string') throw bad('workflowId must be a string');
  if (typeof action !== 'string' || !(RUN_CONTROL_ACTIONS as readonly string[]).includes(action))
    throw bad('unknown action');
  if (typeof reason !== 'string' || reason.length === 0 || reason.length > 500)
    throw bad('reason must be 1 to 500 characters');
  if (typeof actor !== 'string' || actor.length === 0 || actor.length > 200) throw bad('actor must be a string');
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) throw bad('roles must be strings');
  return { workflowId, action: action as RunControlAction, reason, actor, roles };
}

/**
 * Pause, resume and cancel (DESIGN section 12), each in one transaction under the run's lock, so it
 * is ordered with the pipeline's steps: a step in flight commits first, and nothing starts after.
 * Repeating an action that already holds changes nothing and answers `changed: false`.
 */
@Injectable()
export class RunControlService {
  private readonly security = new Logger('Security');

  constructor(
    private readonly outbox: OutboxService,
    private readonly runs: RunsRepository,
    private readonly control: RunControlRepository,
    private readonly held: HeldWorkRepository,
    private readonly writer: RunWriter,
    private readonly planGate: PlanGateService,
  ) {}

  async apply(body: unknown): Promise<RunControlResult> {
    const cmd = commandOf(body);
    if (!isUuid(cmd.workflowId)) throw runNotFound(cmd.workflowId);
    const wid = cmd.workflowId.toLowerCase();
    return this.outbox.transaction(async (tx) => {
      const run = await this.runs.lock(tx, wid);
      if (!run) throw runNotFound(wid);
      if (!mayControlRun({ id: cmd.actor, roles: cmd.roles }, run.requested_by)) {
        this.security.warn({ msg: 'run control denied', principal: cmd.actor, action: cmd.action, workflowId: wid });
        throw new GatehouseError(
          ErrorCode.RUN_CONTROL_FORBIDDEN,
          `only an operator, an admin or the run's requester may ${cmd.action} run ${wid}`,
        );
      }
      const after = await this.act(tx, run, cmd);
      const changed = after !== null;
      const now = after ?? run;
      return { workflowID: wid, action: cmd.action, changed, status: now.status, paused: now.paused };
    });
  }

  /** The run after the action, or null when it already held (an idempotent repeat). */
  private async act(tx: EntityManager, run: RunRow, cmd: RunControlCommand): Promise<RunRow | null> {
    switch (cmd.action) {
      case RunControlAction.PAUSE:
        assertRunning(run, cmd.action);
        if (run.paused) return null;
        return this.pause(tx, run, cmd);
      case RunControlAction.RESUME:
        assertRunning(run, cmd.action);
        if (!run.paused) return null;
        return this.resume(tx, run, cmd);
      case RunControlAction.CANCEL:
        if (run.status === RunStatus.CANCELLED) return null;
        assertRunning(run, cmd.action);
        return this.cancel(tx, run, cmd);
      default:
        return assertUnreachable(cmd.action);
    }
  }

  private async pause(tx: EntityManager, run: RunRow, cmd: RunControlCommand): Promise<RunRow> {
    const next = await this.control.setPaused(tx, run.id, { actor: cmd.actor, reason: cmd.reason });
    await this.control.audit(tx, run.id, cmd.action, cmd.actor, cmd.reason);
    await this.outbox.write(tx, runControlMessage(next, true, event(next, cmd)));
    return next;
  }

  /** Releases what the pause held, in the order it arrived: messages under fresh ids, decisions applied now. */
  private async resume(tx: EntityManager, run: RunRow, cmd: RunControlCommand): Promise<RunRow> {
    const next = await this.control.setPaused(tx, run.id, null);
    await this.control.audit(tx, run.id, cmd.action, cmd.actor, cmd.reason);
    await this.outbox.write(tx, runControlMessage(next, false, event(next, cmd)));
    for (const work of await this.held.takeAll(tx, run.id)) {
      if (work.kind === 'message') {
        // The original id may still be in the stream's duplicate window: a fresh one per resume.
        const msgId = runMessageIds.released(work.message.msgId, next.pause_count);
        await this.outbox.write(tx, { ...work.message, msgId });
      } else {
        await this.planGate.decided(tx, work.event);
      }
    }
    return (await this.runs.lock(tx, run.id)) ?? next;
  }

  /**
   * Ends the run CANCELLED (which also ends a pause); its run-finished fact makes the gates service
   * cancel its gates and the escalation service disarm their timers.
   */
  private async cancel(tx: EntityManager, run: RunRow, cmd: RunControlCommand): Promise<RunRow> {
    const error = { code: RunErrorCode.CANCELLED, message: `cancelled by ${cmd.actor}: ${cmd.reason}` };
    await this.held.takeAll(tx, run.id);
    await this.control.failRunningSteps(tx, run.id, error);
    await this.control.audit(tx, run.id, cmd.action, cmd.actor, cmd.reason);
    return this.writer.transition(tx, run, { status: RunStatus.CANCELLED, nextAction: NextAction.NONE, error });
  }
}

function event(run: RunRow, cmd: RunControlCommand) {
  return { workflowID: run.id, actor: cmd.actor, reason: cmd.reason, at: run.updated_at.toISOString() };
}

function assertRunning(run: RunRow, action: RunControlAction): void {
  if (isTerminalRunStatus(run.status))
    throw new GatehouseError(ErrorCode.RUN_FINISHED, `run ${run.id} is ${run.status}; it cannot ${action}`);
}

function runNotFound(wid: string): GatehouseError {
  return new GatehouseError(ErrorCode.RUN_NOT_FOUND, `run ${wid} not found`);
}
