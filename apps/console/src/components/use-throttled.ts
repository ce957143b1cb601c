import { useEffect, useRef, useState } from 'react';
import { throttle } from '../lib/throttle';

/** Live pushes re-read a page at most once a second, and once more after the last push. */
export const LIVE_REREAD_MS = 1000;

/**
 * A stable function that calls the latest `run` through a throttle (lib/throttle); a run still
 * waiting is dropped when the page closes.
 */
export function useThrottled(run: () => void, intervalMs = LIVE_REREAD_MS): () => void {
  const latest = useRef(run);
  latest.current = run;
  const [t] = useState(() => throttle(() => latest.current(), intervalMs));
  useEffect(() => () => t.cancel(), [t]);
  return t.call;
}
