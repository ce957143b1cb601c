import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/** The console's pages live under /console; everything after it is the page's path. */
export const BASE = '/console';

export function currentPath(): string {
  const p = window.location.pathname;
  return p.startsWith(BASE) ? p.slice(BASE.length) || '/' : '/';
}

/** Goes to `path` below /console; it may carry a query string (`/?riskLevel=high`). */
export function navigate(path: string): void {
  window.history.pushState(null, '', BASE + path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** A part of the address, read again on every navigation (links, `navigate`, back and forward). */
function useAddress(read: () => string): string {
  const [value, setValue] = useState(read);
  useEffect(() => {
    const update = () => setValue(read());
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, [read]);
  return value;
}

export const usePath = () => useAddress(currentPath);
/** The address's query string (`?state=PENDING&…` or ''): where a page keeps what can be bookmarked. */
export const useSearch = () => useAddress(currentSearch);

function currentSearch(): string {
  return window.location.search;
}

/** A real link (open in a new tab works) that changes page without reloading. */
export function Link({ to, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={BASE + to} onClick={click} {...rest} />;
}

/** `/runs/:wid/gates/:g` against `/runs/abc/gates/approve-plan` -> { wid: 'abc', g: 'approve-plan' }. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) params[want[i].slice(1)] = decodeURIComponent(got[i]);
    else if (want[i] !== got[i]) return null;
  }
  return params;
}
