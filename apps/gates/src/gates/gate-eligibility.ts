import { EVERY_ROLE, ANONYMOUS } from '@gatehouse/identity';

/**
 * "May this principal decide this gate?" (DESIGN sections 10, 11, 14), from the facts stored on the
 * gate when it opened: `allowed_roles` (NULL = any role) and `self_approval_allowed`, and the run's
 * `requested_by`. The inbox's `mine=true` filter runs it as SQL (eligibleSql); the reply rules run it
 * in code (eligibility). Both live here so they cannot drift apart; gate-eligibility.int-spec.ts
 * checks that they agree.
 *
 * A principal holding every role (`anonymous` and named actors under AUTH_MODE=off) passes the role
 * check. Self-approval is checked only between named principals: `anonymous` is nobody in particular.
 */

export interface Decider {
  id: string;
  roles: readonly string[];
}

export interface GateEligibilityFacts {
  allowedRoles: readonly string[] | null;
  selfApprovalAllowed: boolean;
  requestedBy: string | null;
}

export type Ineligibility = 'ROLE_NOT_ALLOWED' | 'SELF_APPROVAL';

/** Null when `decider` may decide the gate, else why not (the 403 code of the reply rules). */
export function eligibility(decider: Decider, gate: GateEligibilityFacts): Ineligibility | null {
  const holdsEveryRole = decider.roles.includes(EVERY_ROLE);
  if (!holdsEveryRole && gate.allowedRoles !== null && !gate.allowedRoles.some((r) => decider.roles.includes(r)))
    return 'ROLE_NOT_ALLOWED';
  if (
    !gate.selfApprovalAllowed &&
    decider.id !== ANONYMOUS.id &&
    gate.requestedBy !== null &&
    gate.requestedBy === decider.id
  )
    return 'SELF_APPROVAL';
  return null;
}

/**
 * The same rule as a SQL predicate over `gates.gates` (alias `g`); its three parameters are appended
 * to `params`.
 */
export function eligibleSql(decider: Decider, params: unknown[]): string {
  params.push(decider.roles.includes(EVERY_ROLE), [...decider.roles], decider.id === ANONYMOUS.id ? null : decider.id);
  const [every, roles, id] = [params.length - 2, params.length - 1, params.length];
  return `(g.allowed_roles IS NULL OR $${every}::boolean OR g.allowed_roles && $${roles}::text[])
      AND (g.self_approval_allowed OR g.requested_by IS NULL OR $${id}::text IS NULL OR g.requested_by <> $${id}::text)`;
}
