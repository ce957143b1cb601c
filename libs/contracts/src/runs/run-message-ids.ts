import type { StepId } from './run-model';

/**
 * Deterministic ids (Nats-Msg-Id) of the facts the runs service announces: a re-publish of the
 * same fact is dropped by the stream and by every consumer's inbox.
 */
export const runMessageIds = {
  gateRequested: (wid: string, gateKey: string) => `gate-requested:${wid}:${gateKey}`,
  runUpdated: (wid: string, version: number) => `run-updated:${wid}:${version}`,
  /** A run finishes once: its terminal status never changes again. */
  runFinished: (wid: string) => `run-finished:${wid}`,
  /** The n-th pause (and its resume) of a run: `runs.pause_count`. */
  runPaused: (wid: string, n: number) => `run-paused:${wid}:${n}`,
  runResumed: (wid: string, n: number) => `run-resumed:${wid}:${n}`,
  /** A message held while the run was paused, released by its n-th resume under a fresh id. */
  released: (msgId: string, n: number) => `${msgId}:resume-${n}`,
  step: (wid: string, stepId: StepId) => `step:${wid}:${stepId}`,
  child: (wid: string, idx: number) => `child:${wid}:${idx}`,
};

/** The task key of ExecuteST's idx-th child task. */
export const childTaskKey = (idx: number) => `task-${idx}`;
