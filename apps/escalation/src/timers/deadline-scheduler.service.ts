import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
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
  private timeout?: NodeJS.Timeout;
  private rescan?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = true;
  private idle: Promise<void> = Promise.resolve();
  /** The moment the current timeout fires (epoch ms), for tests and logs. */
  private wakeAt: number | null = null;

  constructor(
    private readonly timers: TimersRepository,
    private readonly firing: DeadlineFiringService,
    private readonly config: ConfigService<EscalationEnv, true>,
    private readonly metrics: TimerMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.stopped = false;
    const everyMs = this.config.get('TIMER_RESCAN_S', { infer: true }) * 1000;
    this.rescan = setInterval(() => this.rearm(), everyMs);
    this.rescan.unref();
    this.rearm();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.rescan) clearInterval(this.rescan);
    this.clearTimeout();
    await this.idle;
  }

  /** When the process will next wake for a deadline (null: nothing armed). */
  get nextWakeAt(): Date | null {
    return this.wakeAt === null ? null : new Date(this.wakeAt);
  }

  /** Re-reads the earliest deadline (firing what is due). Calls made meanwhile coalesce into one more pass. */
  rearm(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.idle = this.passes().finally(() => {
      this.running = false;
    });
  }

  private async passes(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.pass();
      } catch (err) {
        this.logger.error({ err, msg: 'deadline scheduler pass failed; retrying shortly' });
        this.setTimeout(RETRY_AFTER_ERROR_MS);
      }
    } while (this.again && !this.stopped);
  }

  /** Fires due timers batch by batch until the earliest armed deadline lies ahead, then waits for it. */
  private async pass(): Promise<void> {
    while (!this.stopped) {
      const delay = timerDelayMs(await this.timers.msUntilEarliestArmed());
      if (delay === null) {
        this.clearTimeout();
        return;
      }
      if (delay > 0) {
        this.setTimeout(delay);
        return;
      }
      const fired = await this.firing.fireDueBatch();
      if (fired.length === 0) {
        this.setTimeout(RETRY_WHEN_CONTENDED_MS);
        return;
      }
      this.metrics.firedBatch(fired.length);
      this.logger.log({ msg: 'deadlines passed', fired: fired.length });
    }
  }

  private setTimeout(delayMs: number): void {
    this.clearTimeout();
    if (this.stopped) return;
    this.wakeAt = Date.now() + delayMs;
    this.timeout = setTimeout(() => {
      this.timeout = undefined;
      this.wakeAt = null;
      this.rearm();
    }, delayMs);
    this.timeout.unref();
  }

  private clearTimeout(): void {
    if (this.timeout) clearTimeout(this.timeout);
    this.timeout = undefined;
    this.wakeAt = null;
  }
}
