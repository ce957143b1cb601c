/** Who the console is signed in as (GET /api/whoami). */
export interface Me {
  id: string;
  kind: string;
  name: string;
  roles: readonly string[];
  authMode: 'off' | 'required';
}

/** `*` (AUTH_MODE=off's anonymous principal) holds every role. */
export function hasRole(me: Me | null, ...roles: string[]): boolean {
  if (!me) return false;
  return me.roles.includes('*') || roles.some((r) => me.roles.includes(r));
}

export const canControlRuns = (me: Me | null) => hasRole(me, 'admin', 'operator');
export const isAdmin = (me: Me | null) => hasRole(me, 'admin');

/** Whether `me` may decide a gate whose policy names `roles` (no roles named: anyone signed in). */
export function canDecide(me: Me | null, roles: readonly string[] | undefined): boolean {
  if (!me) return false;
  if (!roles || roles.length === 0) return true;
  return hasRole(me, ...roles);
}
