import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { WakeLoop, type WakePassResult } from '@gatehouse/messaging';
import type { EscalationEnv } from '../config/escalation.env';
import { DeadlineFiringService } from './deadline-firing.service';
import { TimerMetrics } from './timer-metrics';
import { timerDelayMs } from './timer-delay';
import { TimersRepository } from './timers.repository';

/** Wait after a failed database call before trying again. */
const RETRY_AFTER_ERROR_MS = 1000;
/** Wait when due timers exist but another replica (or a disarm) holds them locked. */
const RETRY_WHEN_CONTENDED_MS = 250;

/**
 * The process's one deadline timer. Waiting costs nothing per gate: a single setTimeout is set
 * for the earliest ARMED deadline (one indexed query), and re-armed after each firing, after each
 * timer this process arms, and every TIMER_RESCAN_S for timers armed elsewhere. (A disarm needs no
 * re-arm: the wake-up it leaves behind finds nothing due and moves on to the next deadline.)
 * Firing is safe with any number of replicas: claims use FOR UPDATE SKIP LOCKED plus a status check.
 */
@Injectable()
export class DeadlineSchedulerService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DeadlineScheduler');
  private readonly loop: WakeLoop;

  constructor(
    private readonly timers: TimersRepository,
    private readonly firing: DeadlineFiringService,
    config: ConfigService<EscalationEnv, true>,
    private readonly metrics: TimerMetrics,
  ) {
    this.loop = new WakeLoop({
      pass: () => this.pass(),
      pollIntervalMs: config.get('TIMER_RESCAN_S', { infer: true }) * 1000,
      errorBackoffMs: RETRY_AFTER_ERROR_MS,
      onError: (err) => this.logger.error({ err, msg: 'deadline scheduler pass failed; retrying shortly' }),
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.loop.stop();
  }

  /** When the process will next wake for a deadline (null: nothing armed). */
  get nextWakeAt(): Date | null {
    return this.loop.nextWakeAt;
  }

  /** Re-reads the earliest deadline (firing what is due). Calls made meanwhile coalesce into one more pass. */
  rearm(): void {
    this.loop.poke();
  }

  /** Fires one batch of due timers, or waits for the earliest armed deadline if none is due. */
  private async pass(): Promise<WakePassResult> {
    const delay = timerDelayMs(await this.timers.msUntilEarliestArmed());
    if (delay === null) return;
    if (delay > 0) return { wakeInMs: delay };
    const fired = await this.firing.fireDueBatch();
    if (fired.length === 0) return { wakeInMs: RETRY_WHEN_CONTENDED_MS };
    this.metrics.firedBatch(fired.length);
    this.logger.log({ msg: 'deadlines passed', fired: fired.length });
    return 'again';
  }
}
