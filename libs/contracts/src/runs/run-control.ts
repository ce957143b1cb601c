import { IsString, MaxLength, MinLength } from 'class-validator';

/** Run control (DESIGN section 12): what an operator (or the run's requester) may do to a run. */
export enum RunControlAction {
  PAUSE = 'pause',
  RESUME = 'resume',
  CANCEL = 'cancel',
}

export const RUN_CONTROL_ACTIONS: readonly RunControlAction[] = Object.values(RunControlAction);

/** Body of POST /api/runs/:wid/{pause,resume,cancel}. */
export class RunControlDto {
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  reason!: string;
}

/** `rpc.runs.control`: the gateway forwards the authenticated principal; a body never names it. */
export interface RunControlCommand {
  workflowId: string;
  action: RunControlAction;
  reason: string;
  actor: string;
  roles: readonly string[];
}

/** The answer: the run after the action, and whether this request changed it (false: a repeat). */
export interface RunControlResult {
  workflowID: string;
  action: RunControlAction;
  changed: boolean;
  status: string;
  paused: boolean;
}

/** evt.runs.run-paused.<wid> and evt.runs.run-resumed.<wid>: facts for outbound notifications. */
export interface RunControlEvent {
  workflowID: string;
  actor: string;
  reason: string;
  at: string;
}
