/**
 * ExecuteST's fan-out: `concurrency` child tasks start at once and each finished task starts the
 * next one, so at most `concurrency` are in flight and every index is dispatched exactly once.
 */
export interface FanOutState {
  total: number;
  dispatched: number;
  done: number;
}

/** Indexes to dispatch when ExecuteST starts. */
export function initialDispatch(total: number, concurrency: number): number[] {
  const n = Math.max(0, Math.min(total, concurrency));
  return Array.from({ length: n }, (_, i) => i);
}

export interface AfterTaskDone {
  state: FanOutState;
  /** The next index to dispatch, if any is left. */
  dispatch: number | null;
  finished: boolean;
}

/** The state after one more child task finished. */
export function afterTaskDone(state: FanOutState): AfterTaskDone {
  if (state.done >= state.dispatched) throw new Error(`no task in flight (${JSON.stringify(state)})`);
  const dispatch = state.dispatched < state.total ? state.dispatched : null;
  const next = { total: state.total, dispatched: state.dispatched + (dispatch === null ? 0 : 1), done: state.done + 1 };
  return { state: next, dispatch, finished: next.done === next.total };
}
