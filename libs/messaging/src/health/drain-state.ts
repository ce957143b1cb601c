import { Injectable, type OnModuleDestroy } from '@nestjs/common';

/**
 * Whether the process has begun to stop: set on SIGTERM or SIGINT by bootstrapService, and at the
 * latest when Nest starts closing the application (`onModuleDestroy`, before consumers stop).
 * Readiness turns false at once, so the orchestrator stops counting this replica while it finishes
 * its in-flight work.
 */
@Injectable()
export class DrainState implements OnModuleDestroy {
  private since?: Date;

  get draining(): boolean {
    return this.since !== undefined;
  }

  /** When draining began, for the readiness answer. */
  get drainingSince(): Date | undefined {
    return this.since;
  }

  begin(): void {
    this.since ??= new Date();
  }

  onModuleDestroy(): void {
    this.begin();
  }
}
