import { IsInt, Max, Min } from 'class-validator';
import { PolicyEnv } from '@gatehouse/contracts';

/** GATE_POLICY_FILE (the gate policies and declared recipes) comes from PolicyEnv. */
export class GatesEnv extends PolicyEnv {
  /** Default deadline of a gate, in seconds (1 s .. 30 days); the gate policy file may override it. */
  @IsInt()
  @Min(1)
  @Max(2_592_000)
  HITL_GATE_TIMEOUT_S = 3600;
}
