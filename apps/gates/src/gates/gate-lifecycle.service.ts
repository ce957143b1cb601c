import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import {
  AuditOutcome,
  auditKeys,
  DecidedBy,
  Decision,
  eventKeys,
  gateMsgIds,
  GateState,
  isTerminalRunStatus,
  PROMPT_SCHEMA_VERSION,
  subjects,
  TimeoutAction,
  topics,
  type DeadlinePassedEvent,
  type GateDecidedEvent,
  type GateDecisionValue,
  type GateOpenedEvent,
  type GatePrompt,
  type GateRequestedEvent,
} from '@gatehouse/contracts';
import { OutboxService } from '@gatehouse/messaging';
import type { GatesEnv } from '../config/gates.env';
import { resolveGatePolicy } from './gate-policy';
import { GatesRepository } from './gates.repository';
import { WorkflowEventsRepository } from './workflow-events.repository';

export type OpenOutcome = 'opened' | 'exists' | 'run-finished';

/**
 * A gate's life outside human replies: opened at a run's request, timed out by the escalation
 * timer, cancelled when its run ends. Each method runs inside the consumer's transaction and is
 * idempotent by state, because the messages driving it may repeat or arrive out of order.
 */
@Injectable()
export class GateLifecycleService {
  private readonly logger = new Logger(GateLifecycleService.name);

  constructor(
    private readonly gates: GatesRepository,
    private readonly events: WorkflowEventsRepository,
    private readonly outbox: OutboxService,
    private readonly config: ConfigService<GatesEnv, true>,
  ) {}

  async open(tx: EntityManager, req: GateRequestedEvent): Promise<OpenOutcome> {
    const { workflowId: wid, gateKey: g } = req;
    await this.gates.lockRunLifecycle(tx, wid);
    if (await this.gates.isRunFinished(tx, wid)) {
      this.logger.warn({ workflowId: wid, gateKey: g, msg: 'gate requested for a run that already ended; not opened' });
      return 'run-finished';
    }
    const policy = resolveGatePolicy(req.recipeName, g, {
      timeoutS: this.config.get('HITL_GATE_TIMEOUT_S', { infer: true }),
    });
    const topic = topics.human(g);
    const gate = await this.gates.insertPending(tx, {
      workflowId: wid,
      gateKey: g,
      topic,
      recipeName: req.recipeName,
      choices: req.choices,
      policy,
    });
    if (!gate) return 'exists';

    const prompt: GatePrompt = {
      schemaVersion: PROMPT_SCHEMA_VERSION,
      gateKey: g,
      title: req.title,
      plan: req.plan,
      planHash: req.planHash,
      choices: req.choices,
      deadlineAt: gate.deadlineAt,
      policy,
    };
    await this.events.writeOnce(tx, wid, eventKeys.prompt(g), prompt);
    await this.events.audit(tx, wid, g, auditKeys.opened(), {
      outcome: AuditOutcome.OPENED,
      topic,
      at: gate.openedAt,
      detail: { deadlineAt: gate.deadlineAt, recipeName: req.recipeName },
    });
    const opened: GateOpenedEvent = { workflowId: wid, gateKey: g, deadlineAt: gate.deadlineAt, policy };
    await this.outbox.write(tx, {
      msgId: gateMsgIds.gateOpened(wid, g),
      subject: subjects.gateOpened(wid, g),
      payload: opened,
    });
    return 'opened';
  }

  /**
   * The deadline passed: a gate still PENDING becomes TIMED_OUT and records its decision once.
   * Auto-approval needs both the timer's action and the gate's own policy to say `approve`
   * (fail-closed: anything else records `timeout`).
   */
  async timeOut(tx: EntityManager, ev: DeadlinePassedEvent): Promise<boolean> {
    const { workflowId: wid, gateKey: g } = ev;
    const gate = await this.gates.closeIfPending(tx, wid, g, GateState.TIMED_OUT);
    if (!gate) return false;
    const at = gate.closedAt as string;
    const approve = ev.action === TimeoutAction.APPROVE && gate.policy.timeoutAction === TimeoutAction.APPROVE;
    const decision: GateDecisionValue = {
      decision: approve ? Decision.APPROVE : Decision.TIMEOUT,
      by: DecidedBy.TIMER,
      at,
    };
    await this.events.writeOnce(tx, wid, eventKeys.decision(g), decision);
    await this.events.audit(tx, wid, g, auditKeys.timedOut(), {
      outcome: AuditOutcome.TIMED_OUT,
      topic: gate.topic,
      at,
      detail: {
        decision: decision.decision,
        by: decision.by,
        action: ev.action,
        deadlineAt: gate.deadlineAt,
        escalationId: ev.escalationId,
      },
    });
    const decided: GateDecidedEvent = {
      workflowId: wid,
      gateKey: g,
      state: GateState.TIMED_OUT,
      decision: decision.decision,
      by: DecidedBy.TIMER,
      choice: null,
      rationale: null,
      patch: null,
      actor: null,
      at,
    };
    await this.outbox.write(tx, {
      msgId: gateMsgIds.gateDecided(wid, g),
      subject: subjects.gateDecided(wid, g),
      payload: decided,
    });
    return true;
  }

  /** A run reached a terminal status: its PENDING gates are CANCELLED (no decision is recorded). */
  async runUpdated(tx: EntityManager, workflowId: string, status: string): Promise<string[]> {
    if (!isTerminalRunStatus(status)) return [];
    await this.gates.lockRunLifecycle(tx, workflowId);
    await this.gates.recordRunFinished(tx, workflowId, status);
    const cancelled = await this.gates.cancelPendingOfRun(tx, workflowId);
    for (const gate of cancelled) {
      await this.events.audit(tx, workflowId, gate.gateKey, auditKeys.cancelled(), {
        outcome: AuditOutcome.CANCELLED,
        topic: gate.topic,
        at: gate.closedAt as string,
        detail: { runStatus: status },
      });
    }
    return cancelled.map((g) => g.gateKey);
  }
}
