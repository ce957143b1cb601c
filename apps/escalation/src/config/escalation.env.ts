import { IsInt, Max, Min } from 'class-validator';
import { CommonEnv } from '@gatehouse/contracts';

export class EscalationEnv extends CommonEnv {
  /**
   * Seconds between re-reads of the earliest armed deadline. A safety net for timers armed by a
   * replica that died (or by another replica): one cheap indexed query, never a per-gate poll.
   */
  @IsInt()
  @Min(1)
  @Max(3600)
  TIMER_RESCAN_S = 30;
}
