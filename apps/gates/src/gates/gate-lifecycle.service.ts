import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  AuditOutcome,
  auditKeys,
  DecidedBy,
  Decision,
  eventKeys,
  GateState,
  isTerminalRunStatus,
  PROMPT_SCHEMA_VERSION,
  TimeoutAction,
  topics,
  type DeadlinePassedEvent,
  type GateChoice,
  type GateDecisionValue,
  type GateEscalationInfo,
  type GatePolicy,
  type GatePrompt,
  type GateRequestedEvent,
  type GateRequestRunSummary,
  type GateRisk,
  type JsonPatchOpDto,
  type Plan,
} from '@gatehouse/contracts';
import { acceptedReplyFacts } from '../replies/accepted-reply';
import { GateAnnouncements } from './gate-announcements.service';
import { timeoutOutcome, type Successor } from './gate-policy';
import { GatePolicyService } from './gate-policy.service';
import { GatesRepository, type GateRow } from './gates.repository';
import { policyDecisionCommand } from './policy-decision';
import { WorkflowEventsRepository } from './workflow-events.repository';

export type OpenOutcome = 'opened' | 'exists' | 'run-finished';

/** Everything a new gate needs: from a run's request, or from the gate whose deadline escalated. */
interface GateSpec {
  workflowId: string;
  gateKey: string;
  recipeName: string;
  title: string;
  plan: unknown;
  planHash: string;
  choices: GateChoice[];
  policy: GatePolicy;
  risk: GateRisk;
  requestedBy: string | null;
  /** The patch from the compiled plan to `plan` (empty unless votes on an escalated gate patched it). */
  planPatch: JsonPatchOpDto[];
  escalation?: GateEscalationInfo;
  run: GateRequestRunSummary | null;
}

/**
 * A gate's life outside human replies: opened at a run's request, timed out by the escalation
 * timer (approving, rejecting, or escalating to a successor gate), cancelled when its run ends.
 * Each method runs inside the consumer's transaction and is idempotent by state, because the
 * messages driving it may repeat or arrive out of order.
 */
@Injectable()
export class GateLifecycleService {
  private readonly logger = new Logger(GateLifecycleService.name);

  constructor(
    private readonly gates: GatesRepository,
    private readonly events: WorkflowEventsRepository,
    private readonly announce: GateAnnouncements,
    private readonly policies: GatePolicyService,
  ) {}

  async open(tx: EntityManager, req: GateRequestedEvent): Promise<OpenOutcome> {
    const { workflowId: wid, gateKey: g } = req;
    await this.gates.lockRunLifecycle(tx, wid);
    if (await this.gates.isRunFinished(tx, wid)) {
      this.logger.warn({ workflowId: wid, gateKey: g, msg: 'gate requested for a run that already ended; not opened' });
      return 'run-finished';
    }
    const { policy, risk } = this.policies.policyFor(req.recipeName, g, {
      inputs: req.intent?.inputs,
      constraints: req.intent?.constraints,
      plan: req.plan,
    });
    const gate = await this.openGate(tx, {
      workflowId: wid,
      gateKey: g,
      recipeName: req.recipeName,
      title: req.title,
      plan: req.plan,
      planHash: req.planHash,
      choices: req.choices,
      policy,
      risk,
      requestedBy: req.requestedBy ?? null,
      planPatch: [],
      run: req.run ?? null,
    });
    if (!gate) return 'exists';
    if (risk.autoApprove) await this.autoApprove(tx, gate);
    return 'opened';
  }

  /**
   * Low risk under `autoApprove`: the gate is decided `approve` by `policy` as it opens, recorded like
   * any decision (result, decision, audit entry, announcement) so the oracle holds; no ledger row, as no
   * human replied.
   */
  private async autoApprove(tx: EntityManager, gate: GateRow): Promise<void> {
    const closed = await this.gates.closeIfPending(tx, gate.workflowId, gate.gateKey, GateState.RECEIVED);
    if (!closed) return;
    const at = closed.closedAt as string;
    const approve = gate.choices.find((c) => c.decision === Decision.APPROVE);
    const cmd = policyDecisionCommand(gate, approve?.value ?? 'yes');
    const facts = acceptedReplyFacts(cmd, gate.rootGateKey, Decision.APPROVE, {
      by: DecidedBy.POLICY,
      planHash: gate.planHash,
      planPatch: [],
      votes: [],
    });
    const g = gate.gateKey;
    await this.events.writeOnce(tx, gate.workflowId, eventKeys.result(g), { ...facts.result, at });
    await this.events.writeOnce(tx, gate.workflowId, eventKeys.decision(g), { ...facts.decision, at });
    await this.events.audit(tx, gate.workflowId, g, auditKeys.accepted(cmd.dedupeKey), { ...facts.audit, at });
    await this.announce.decided(tx, { ...facts.decided, at });
  }

  /**
   * The deadline passed: a gate still PENDING becomes TIMED_OUT and records its decision once
   * (`approve` by timer under the approve action, else `timeout`). Under `escalate` the successor
   * gate of the chain opens in the same transaction, and the run keeps waiting on it.
   */
  async timeOut(tx: EntityManager, ev: DeadlinePassedEvent): Promise<boolean> {
    const { workflowId: wid, gateKey: g } = ev;
    // Before the gate's row lock, in the order runUpdated takes them: a successor never opens on a run that ended.
    await this.gates.lockRunLifecycle(tx, wid);
    const gate = await this.gates.closeIfPending(tx, wid, g, GateState.TIMED_OUT);
    if (!gate) return false;
    const at = gate.closedAt as string;
    const outcome = timeoutOutcome(gate.policy, ev.action, gate.rootGateKey, gate.escalationLevel);
    const successor =
      outcome.action === TimeoutAction.ESCALATE ? await this.escalate(tx, gate, outcome.successor) : null;
    const action = outcome.action === TimeoutAction.ESCALATE && !successor ? TimeoutAction.REJECT : outcome.action;
    const decision: GateDecisionValue = {
      decision: action === TimeoutAction.APPROVE ? Decision.APPROVE : Decision.TIMEOUT,
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
        action,
        timerAction: ev.action,
        deadlineAt: gate.deadlineAt,
        escalationId: ev.escalationId,
        escalatedTo: successor?.gateKey ?? null,
      },
    });
    if (successor) {
      await this.events.audit(tx, wid, g, auditKeys.escalated(), {
        outcome: AuditOutcome.ESCALATED,
        topic: gate.topic,
        at,
        detail: {
          successorGateKey: successor.gateKey,
          level: successor.level,
          group: successor.group,
          deadlineAt: successor.deadlineAt,
          escalationId: ev.escalationId,
        },
      });
      await this.announce.escalated(tx, {
        workflowId: wid,
        gateKey: g,
        rootGateKey: gate.rootGateKey,
        successorGateKey: successor.gateKey,
        level: successor.level,
        group: successor.group,
        deadlineAt: successor.deadlineAt,
        at,
      });
    }
    await this.announce.decided(tx, {
      workflowId: wid,
      gateKey: g,
      rootGateKey: gate.rootGateKey,
      state: GateState.TIMED_OUT,
      decision: decision.decision,
      by: DecidedBy.TIMER,
      choice: null,
      rationale: null,
      patch: null,
      actor: null,
      escalatedTo: successor?.gateKey ?? null,
      at,
    });
    return true;
  }

  /** A run reached a terminal status: its PENDING gates are CANCELLED (no decision is recorded). */
  async runUpdated(tx: EntityManager, workflowId: string, status: string): Promise<string[]> {
    if (!isTerminalRunStatus(status)) return [];
    await this.gates.lockRunLifecycle(tx, workflowId);
    const cancelled = await this.gates.finishRun(tx, workflowId, status);
    for (const gate of cancelled) {
      const at = gate.closedAt as string;
      await this.events.audit(tx, workflowId, gate.gateKey, auditKeys.cancelled(), {
        outcome: AuditOutcome.CANCELLED,
        topic: gate.topic,
        at,
        detail: { runStatus: status },
      });
      // Disarms the gate's escalation timer: no escalation may fire for a cancelled gate.
      await this.announce.cancelled(tx, {
        workflowId,
        gateKey: gate.gateKey,
        rootGateKey: gate.rootGateKey,
        state: GateState.CANCELLED,
        runStatus: status,
        at,
      });
    }
    return cancelled.map((g) => g.gateKey);
  }

  /**
   * Opens the successor of a gate that timed out under `escalate`: same choices, plan and prompt,
   * the next approver group, its own deadline. Null when it cannot open (its run ended, or the key
   * is taken), in which case the timeout falls back to `reject`.
   */
  private async escalate(
    tx: EntityManager,
    gate: GateRow,
    next: Successor,
  ): Promise<(Successor & { deadlineAt: string }) | null> {
    const { workflowId: wid, gateKey: g } = gate;
    if (await this.gates.isRunFinished(tx, wid)) return null;
    const { prompt } = await this.events.gateEvents(tx, wid, g);
    if (!prompt) throw new Error(`gate ${wid}/${g} has no prompt event to escalate`);
    const opened = await this.openGate(tx, {
      workflowId: wid,
      gateKey: next.gateKey,
      recipeName: gate.recipeName,
      title: prompt.title,
      // The successor decides on the plan version its predecessor reached.
      plan: gate.plan ?? prompt.plan,
      planHash: gate.planHash ?? prompt.planHash,
      planPatch: gate.planPatch,
      choices: gate.choices,
      policy: next.policy,
      // The same rules, except that the chain entry's role decides it (DESIGN section 11).
      risk: this.successorRisk(prompt.risk ?? this.policies.policyFor(gate.recipeName, g).risk, next),
      requestedBy: gate.requestedBy,
      escalation: { rootGateKey: gate.rootGateKey, fromGateKey: g, level: next.level, group: next.group },
      run: gate.run,
    });
    if (!opened) {
      this.logger.warn({
        workflowId: wid,
        gateKey: g,
        successor: next.gateKey,
        msg: 'successor gate key taken; timing out as reject',
      });
      return null;
    }
    return { ...next, deadlineAt: opened.deadlineAt };
  }

  private successorRisk(root: GateRisk, next: Successor): GateRisk {
    return {
      ...root,
      reasons: [...root.reasons, `escalation level ${next.level}: decided by ${next.group}`],
      roles: [next.group],
      autoApprove: false,
    };
  }

  /** Inserts the gate PENDING with its prompt, audit entry and announcements; undefined when it exists. */
  private async openGate(tx: EntityManager, spec: GateSpec): Promise<GateRow | undefined> {
    const { workflowId: wid, gateKey: g, policy, escalation } = spec;
    const topic = topics.human(g);
    const gate = await this.gates.insertPending(tx, {
      workflowId: wid,
      gateKey: g,
      topic,
      recipeName: spec.recipeName,
      choices: spec.choices,
      policy,
      escalation: escalation && { rootGateKey: escalation.rootGateKey, level: escalation.level },
      title: spec.title,
      run: spec.run,
      rules: {
        riskLevel: spec.risk.level,
        requiredApprovals: spec.risk.requiredApprovals,
        allowedRoles: spec.risk.roles,
        selfApprovalAllowed: spec.risk.allowSelfApproval,
        requestedBy: spec.requestedBy,
        requirePlanHash: spec.risk.requirePlanHash,
        plan: spec.plan as Plan,
        planHash: spec.planHash,
        planPatch: spec.planPatch,
      },
    });
    if (!gate) return undefined;
    const prompt: GatePrompt = {
      schemaVersion: PROMPT_SCHEMA_VERSION,
      gateKey: g,
      title: spec.title,
      plan: spec.plan,
      planHash: spec.planHash,
      choices: spec.choices,
      deadlineAt: gate.deadlineAt,
      policy,
      ...(escalation ? { escalation } : {}),
      risk: spec.risk,
    };
    await this.events.writeOnce(tx, wid, eventKeys.prompt(g), prompt);
    await this.events.audit(tx, wid, g, auditKeys.opened(), {
      outcome: AuditOutcome.OPENED,
      topic,
      at: gate.openedAt,
      detail: {
        deadlineAt: gate.deadlineAt,
        recipeName: spec.recipeName,
        riskLevel: spec.risk.level,
        ...(escalation ? { escalation } : {}),
      },
    });
    await this.announce.opened(tx, {
      workflowId: wid,
      gateKey: g,
      rootGateKey: gate.rootGateKey,
      escalationLevel: gate.escalationLevel,
      deadlineAt: gate.deadlineAt,
      openedAt: gate.openedAt,
      policy,
    });
    return gate;
  }
}
