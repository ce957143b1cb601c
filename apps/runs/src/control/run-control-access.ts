import { Role } from '@gatehouse/contracts';
import { EVERY_ROLE } from '@gatehouse/identity';

/**
 * Who may pause, resume and cancel a run (DESIGN sections 10 and 12): an `operator` or `admin`, or the
 * principal that started it. `anonymous` under AUTH_MODE=off holds every role.
 */
export function mayControlRun(
  principal: { id: string; roles: readonly string[] },
  requestedBy: string | null,
): boolean {
  const { roles } = principal;
  if (roles.includes(EVERY_ROLE) || roles.includes(Role.OPERATOR) || roles.includes(Role.ADMIN)) return true;
  return requestedBy !== null && requestedBy === principal.id;
}
