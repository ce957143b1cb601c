import { IsInt, Max, Min } from 'class-validator';
import { CommonEnv } from '@gatehouse/contracts';

export class GatesEnv extends CommonEnv {
  /** Default deadline of a gate, in seconds (1 s .. 30 days); a gate policy may override it later. */
  @IsInt()
  @Min(1)
  @Max(2_592_000)
  HITL_GATE_TIMEOUT_S = 3600;
}
