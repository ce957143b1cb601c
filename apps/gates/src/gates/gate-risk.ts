import {
  DEFAULT_RISK_LEVEL,
  RISK_LEVEL_DEFAULTS,
  RISK_LEVELS,
  type GateRisk,
  type PolicyFile,
  type RiskLevel,
  type RiskMatchValue,
  type RiskRule,
} from '@gatehouse/contracts';

/** What risk rules are matched against: the intent's inputs and constraints, and each step of the compiled plan. */
export interface RiskSubjects {
  inputs?: Record<string, unknown>;
  constraints?: Record<string, unknown>;
  plan?: unknown;
}

const rank = (level: RiskLevel): number => RISK_LEVELS.indexOf(level);

function fieldMatches(expected: RiskMatchValue, actual: unknown): boolean {
  const wanted = Array.isArray(expected) ? expected : [expected];
  return wanted.some((w) => w === actual);
}

function objectMatches(match: RiskRule['match'], subject: unknown): boolean {
  if (typeof subject !== 'object' || subject === null || Array.isArray(subject)) return false;
  const obj = subject as Record<string, unknown>;
  return Object.entries(match).every(
    ([field, expected]) => Object.hasOwn(obj, field) && fieldMatches(expected, obj[field]),
  );
}

/** The objects a rule may match: inputs, constraints, and every object in the plan's `steps`. */
function subjectsOf(s: RiskSubjects): unknown[] {
  const plan = s.plan as { steps?: unknown } | undefined;
  const steps = plan && Array.isArray(plan.steps) ? plan.steps : [];
  return [s.inputs, s.constraints, ...steps];
}

export const ruleLabel = (rule: RiskRule, index: number): string => rule.name ?? `riskRules[${index}]`;

/**
 * A gate's risk (DESIGN section 11): the highest of its recipe's level (medium when the file says none)
 * and of every rule matching the intent or a plan step, with the reasons, and that level's settings over
 * its defaults. Auto-approval needs the final level to be `low`: a rule that raises the level turns it off.
 */
export function resolveGateRisk(
  file: PolicyFile,
  recipeName: string,
  gateKey: string,
  subjects: RiskSubjects,
): GateRisk {
  const gates = Object.hasOwn(file.recipes, recipeName) ? file.recipes[recipeName] : {};
  const entry = Object.hasOwn(gates, gateKey) ? gates[gateKey] : {};
  let level: RiskLevel = entry.riskLevel ?? DEFAULT_RISK_LEVEL;
  const reasons = [
    entry.riskLevel ? `recipe ${recipeName} sets ${gateKey} to ${entry.riskLevel}` : `default level ${level}`,
  ];
  const candidates = subjectsOf(subjects);
  (file.riskRules ?? []).forEach((rule, i) => {
    if (!candidates.some((c) => objectMatches(rule.match, c))) return;
    reasons.push(`${ruleLabel(rule, i)} matched: ${rule.level}`);
    if (rank(rule.level) > rank(level)) level = rule.level;
  });
  const settings = { ...RISK_LEVEL_DEFAULTS[level], ...(file.riskLevels?.[level] ?? {}) };
  return {
    level,
    reasons,
    requiredApprovals: settings.requiredApprovals,
    roles: settings.roles ?? null,
    requireRationale: settings.requireRationale,
    requirePlanHash: settings.requirePlanHash,
    allowSelfApproval: file.allowSelfApproval ?? false,
    autoApprove: level === 'low' && settings.autoApprove,
  };
}

/** The deadline the level asks for, when the recipe entry names none. */
export function levelTimeoutS(file: PolicyFile, level: RiskLevel): number | undefined {
  return file.riskLevels?.[level]?.timeoutS;
}
