/**
 * Roles the platform itself knows (DESIGN section 10). Other role names come from the gate policy
 * file; a role is only a name, so any name matching ROLE_NAME_PATTERN may be granted.
 */
export const Role = {
  /** Manages API keys and webhooks and may control any run. */
  ADMIN: 'admin',
  /** May pause, resume and cancel runs. */
  OPERATOR: 'operator',
} as const;

/** Lower-case words joined by `_` or `-`, as in `devops_engineer`. */
export const ROLE_NAME_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;

export function isRoleName(value: unknown): value is string {
  return typeof value === 'string' && ROLE_NAME_PATTERN.test(value);
}
