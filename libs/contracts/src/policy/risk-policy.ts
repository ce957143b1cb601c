import { isRoleName } from '../auth/roles';
import { RISK_LEVELS, type RiskLevel } from '../gates/risk-level';
import { isPlainObject } from '../validation/validate-dto';
import { fail, refuseUnknownKeys } from './policy-file.error';
import { MAX_POLICY_TIMEOUT_S } from './gate-policy-entry';

/** What a risk level asks of its gates (DESIGN section 11); a field left out takes the level's default. */
export interface RiskLevelSettings {
  /** Only `low` may set it: the gate is decided `approve` by `policy` when it opens. */
  autoApprove?: boolean;
  /** Distinct principals whose `yes` decides `approve`. */
  requiredApprovals?: number;
  /** Roles allowed to decide; left out: any role. */
  roles?: string[];
  requireRationale?: boolean;
  requirePlanHash?: boolean;
  /** The gate's deadline, unless its recipe entry names one. */
  timeoutS?: number;
}

/** A rule raising a gate's level when every `match` field equals one of the intent's or plan steps' fields. */
export interface RiskRule {
  /** Shown in the prompt as the reason; defaults to `riskRules[<index>]`. */
  name?: string;
  /** field -> a value, or a list of values any of which matches. */
  match: Record<string, RiskMatchValue>;
  level: RiskLevel;
}

export type RiskScalar = string | number | boolean;
export type RiskMatchValue = RiskScalar | RiskScalar[];

/** The defaults of every level; `critical` needs two approvals, a rationale and the plan hash. */
export const RISK_LEVEL_DEFAULTS: Readonly<Record<RiskLevel, Required<Omit<RiskLevelSettings, 'roles' | 'timeoutS'>>>> =
  {
    low: { autoApprove: false, requiredApprovals: 1, requireRationale: false, requirePlanHash: false },
    medium: { autoApprove: false, requiredApprovals: 1, requireRationale: false, requirePlanHash: false },
    high: { autoApprove: false, requiredApprovals: 1, requireRationale: false, requirePlanHash: false },
    critical: { autoApprove: false, requiredApprovals: 2, requireRationale: true, requirePlanHash: true },
  };

/** Approvals a gate may require: more than this is a typo, not a policy. */
export const MAX_REQUIRED_APPROVALS = 20;
export const MAX_RISK_RULES = 200;

const LEVEL_KEYS = ['autoApprove', 'requiredApprovals', 'roles', 'requireRationale', 'requirePlanHash', 'timeoutS'];
const RULE_KEYS = ['name', 'match', 'level'];
const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9 _.:@-]{0,99}$/;

export function isRiskLevel(value: unknown): value is RiskLevel {
  return typeof value === 'string' && (RISK_LEVELS as readonly string[]).includes(value);
}

export function riskLevelOf(value: unknown, where: string): RiskLevel {
  if (!isRiskLevel(value)) fail(where, `must be one of ${RISK_LEVELS.join(', ')}`);
  return value as RiskLevel;
}

function booleanOf(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') fail(where, 'must be true or false');
  return value as boolean;
}

function rolesOf(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.length === 0) return fail(where, 'must be a non-empty list of role names');
  for (const [i, role] of value.entries()) {
    if (!isRoleName(role)) fail(`${where}[${i}]`, 'must be a role name (^[a-z][a-z0-9_-]{0,62}$)');
  }
  return [...new Set(value as string[])];
}

function levelSettingsOf(level: RiskLevel, value: unknown, where: string): RiskLevelSettings {
  if (value === null) return {};
  if (!isPlainObject(value)) return fail(where, 'must be a map');
  refuseUnknownKeys(value, LEVEL_KEYS, where);
  const s: RiskLevelSettings = {};
  if (value.autoApprove !== undefined) {
    s.autoApprove = booleanOf(value.autoApprove, `${where}.autoApprove`);
    // Fail-closed: only the lowest level may decide without a human.
    if (s.autoApprove && level !== 'low') fail(`${where}.autoApprove`, 'only the low level may auto-approve');
  }
  if (value.requiredApprovals !== undefined) {
    const n = value.requiredApprovals;
    if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > MAX_REQUIRED_APPROVALS) {
      fail(`${where}.requiredApprovals`, `must be an integer from 1 to ${MAX_REQUIRED_APPROVALS}`);
    }
    s.requiredApprovals = n as number;
  }
  if (value.roles !== undefined) s.roles = rolesOf(value.roles, `${where}.roles`);
  if (value.requireRationale !== undefined)
    s.requireRationale = booleanOf(value.requireRationale, `${where}.requireRationale`);
  if (value.requirePlanHash !== undefined)
    s.requirePlanHash = booleanOf(value.requirePlanHash, `${where}.requirePlanHash`);
  if (value.timeoutS !== undefined) {
    const t = value.timeoutS;
    if (!Number.isInteger(t) || (t as number) < 1 || (t as number) > MAX_POLICY_TIMEOUT_S) {
      fail(`${where}.timeoutS`, `must be an integer from 1 to ${MAX_POLICY_TIMEOUT_S} (seconds)`);
    }
    s.timeoutS = t as number;
  }
  return s;
}

/** `riskLevels:` — a map from level name to its settings. */
export function parseRiskLevels(value: unknown, where: string): Partial<Record<RiskLevel, RiskLevelSettings>> {
  if (value === null) return {};
  if (!isPlainObject(value)) return fail(where, `must be a map {${RISK_LEVELS.join('|')}: {...}}`);
  const levels: Partial<Record<RiskLevel, RiskLevelSettings>> = {};
  for (const [name, settings] of Object.entries(value)) {
    const level = riskLevelOf(name, `${where}.${name}`);
    levels[level] = levelSettingsOf(level, settings, `${where}.${name}`);
  }
  return levels;
}

const isScalar = (v: unknown): v is RiskScalar => ['string', 'number', 'boolean'].includes(typeof v);

function matchOf(value: unknown, where: string): Record<string, RiskMatchValue> {
  if (!isPlainObject(value) || Object.keys(value).length === 0) {
    return fail(where, 'must be a non-empty map {field: value or [values]}');
  }
  for (const [field, v] of Object.entries(value)) {
    const ok = isScalar(v) || (Array.isArray(v) && v.length > 0 && v.every(isScalar));
    if (!ok) fail(`${where}.${field}`, 'must be a string, number or boolean, or a non-empty list of them');
  }
  return value as Record<string, RiskMatchValue>;
}

/** `riskRules:` — a list of {name?, match, level}. */
export function parseRiskRules(value: unknown, where: string): RiskRule[] {
  if (value === null) return [];
  if (!Array.isArray(value)) return fail(where, 'must be a list of {match, level}');
  if (value.length > MAX_RISK_RULES) fail(where, `has more than ${MAX_RISK_RULES} rules`);
  return value.map((rule: unknown, i) => {
    const at = `${where}[${i}]`;
    if (!isPlainObject(rule)) return fail(at, 'must be a map {match, level}');
    refuseUnknownKeys(rule, RULE_KEYS, at);
    const parsed: RiskRule = {
      match: matchOf(rule.match, `${at}.match`),
      level: riskLevelOf(rule.level, `${at}.level`),
    };
    if (rule.name !== undefined) {
      if (typeof rule.name !== 'string' || !RULE_NAME.test(rule.name)) {
        fail(`${at}.name`, 'must be 1-100 characters: letters, digits, space, _ . : @ -');
      }
      parsed.name = rule.name as string;
    }
    return parsed;
  });
}

export function parseAllowSelfApproval(value: unknown, where: string): boolean {
  return booleanOf(value, where);
}
