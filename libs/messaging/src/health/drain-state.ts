import { Injectable, type OnModuleDestroy } from '@nestjs/common';

/**
 * Whether the process has begun to stop. Nest calls `onModuleDestroy` first when it closes the
 * application (on SIGTERM with shutdown hooks), before consumers stop: readiness turns false at
 * once, so the orchestrator stops counting this replica while it finishes its in-flight work.
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
