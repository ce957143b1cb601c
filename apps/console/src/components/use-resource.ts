import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * One GET the page shows: loads on mount and on `reload()`; concurrent reloads collapse into one
 * re-read after the one in flight, so a burst of live events costs at most two requests.
 */
export function useResource<T>(load: (() => Promise<T>) | null, deps: unknown[]) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const inFlight = useRef(false);
  const again = useRef(false);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(async () => {
    if (!loadRef.current) return;
    if (inFlight.current) {
      again.current = true;
      return;
    }
    inFlight.current = true;
    try {
      do {
        again.current = false;
        try {
          setData(await loadRef.current());
          setError(null);
        } catch (err) {
          setError(err);
        }
      } while (again.current);
    } finally {
      inFlight.current = false;
    }
  }, []);

  useEffect(() => {
    setData(undefined);
    void reload();
  }, deps);

  return { data, error, reload };
}
