import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import {
  ErrorCode,
  GatehouseError,
  INTENT_QUEUE,
  StepId,
  checkRunLaws,
  type CreateIntentDto,
  type CreateIntentResult,
  type RunView,
  type StartRunCommand,
  type StartRunResult,
} from '@gatehouse/contracts';
import { OutboxService, PolicyFileService } from '@gatehouse/messaging';
import { inTransaction } from '@gatehouse/persistence';
import type { RunsEnv } from '../config/runs.env';
import { FairQueues } from '../queues/fair-queues.service';
import { IntentsRepository } from './intents.repository';
import { runUpdatedMessage, stepMessage } from './run-messages';
import { toRunView } from './run-view';
import { RunsRepository } from './runs.repository';
import { isUuid } from '@gatehouse/contracts';

/** The request/reply use cases: create an intent, start its run, read a run. */
@Injectable()
export class RunsService {
  constructor(
    private readonly ds: DataSource,
    private readonly outbox: OutboxService,
    private readonly intents: IntentsRepository,
    private readonly runs: RunsRepository,
    private readonly config: ConfigService<RunsEnv, true>,
    private readonly policy: PolicyFileService,
    private readonly queues: FairQueues,
  ) {}

  async createIntent(dto: CreateIntentDto): Promise<CreateIntentResult> {
    const id = randomUUID();
    await inTransaction(this.ds, (tx) =>
      this.intents.insert(tx, { id, goal: dto.goal, inputs: dto.inputs ?? {}, constraints: dto.constraints ?? {} }),
    );
    return { intentId: id };
  }

  /**
   * Starts the intent's run once: the run row and its first step message commit together.
   * Starting it again answers the same id and changes nothing.
   */
  async startRun(dto: StartRunCommand): Promise<StartRunResult> {
    const partition = checkRunLaws(dto, this.config.get('SBX_QUEUE_PARTITION', { infer: true }), this.policy.recipes);
    if (!isUuid(dto.intentId)) throw intentNotFound(dto.intentId);
    const result = await this.outbox.transaction(async (tx) => {
      const intent = await this.intents.find(tx, dto.intentId);
      if (!intent) throw intentNotFound(dto.intentId);
      const run = await this.runs.insert(tx, {
        id: intent.id,
        queueName: INTENT_QUEUE,
        queuePartitionKey: partition,
        recipeName: dto.recipeName,
        workload: {
          concurrency: dto.workload.concurrency,
          steps: dto.workload.steps,
          sandboxMinutes: dto.workload.sandboxMinutes,
        },
        requestedBy: dto.requestedBy ?? null,
      });
      // The first step waits for the partition's fair share of intentQ; the snapshot goes out at once.
      if (run) await this.queues.write(tx, [stepMessage(run, StepId.COMPILE), runUpdatedMessage(run)]);
      return { workflowID: intent.id, created: run !== null };
    });
    if (result.created) this.queues.kick('intentQ');
    return result;
  }

  async getRun(workflowId: string): Promise<RunView> {
    const run = isUuid(workflowId) ? await this.runs.find(this.ds.manager, workflowId) : null;
    if (!run) throw new GatehouseError(ErrorCode.RUN_NOT_FOUND, `run ${workflowId} not found`);
    return toRunView(run);
  }
}

function intentNotFound(id: string): GatehouseError {
  return new GatehouseError(ErrorCode.INTENT_NOT_FOUND, `intent ${id} not found`);
}
