import { isValidGateKey } from '../abi/gate-abi';
import { isPlainObject } from '../validation/validate-dto';
import { parseGatePolicyEntry, type GatePolicyEntry } from './gate-policy-entry';
import { fail, refuseUnknownKeys } from './policy-file.error';
import { BUILT_IN_RECIPES, RECIPE_NAME_PATTERN } from './recipes';
import type { RiskLevel } from '../gates/risk-level';
import {
  parseAllowSelfApproval,
  parseRiskLevels,
  parseRiskRules,
  type RiskLevelSettings,
  type RiskRule,
} from './risk-policy';

/** The gates of one recipe: gate key -> its policy entry. */
export type RecipeGates = Record<string, GatePolicyEntry>;

/** `GATE_POLICY_FILE`, checked: the recipes it declares or configures (DESIGN section 11). */
export interface PolicyFile {
  recipes: Record<string, RecipeGates>;
  /** Per level, what it asks of its gates; levels left out take RISK_LEVEL_DEFAULTS. */
  riskLevels?: Partial<Record<RiskLevel, RiskLevelSettings>>;
  /** Rules raising a gate's level from the intent and the compiled plan's steps. */
  riskRules?: RiskRule[];
  /** May the principal who started a run approve its gates? Default false. */
  allowSelfApproval?: boolean;
}

export interface ParsedPolicyFile {
  file: PolicyFile;
  /** True when the document had the deprecated first shape `{"<recipe>": {"<gateKey>": {...}}}`. */
  legacy: boolean;
}

export const EMPTY_POLICY_FILE: PolicyFile = { recipes: {} };

function recipesOf(value: unknown, where: string): PolicyFile['recipes'] {
  if (value === null) return {};
  if (!isPlainObject(value)) return fail(where, 'must be a map {<recipeName>: {<gateKey>: {...}}}');
  const recipes: PolicyFile['recipes'] = {};
  for (const [recipe, gates] of Object.entries(value)) {
    const at = `${where}.${recipe}`;
    if (!RECIPE_NAME_PATTERN.test(recipe)) fail(at, 'recipe name must match ^[a-z0-9][a-z0-9-]{0,63}$');
    // `canary:` with nothing under it declares a recipe whose gates all take the defaults.
    if (gates !== null && !isPlainObject(gates)) fail(at, 'must be a map {<gateKey>: {...}} (or empty)');
    recipes[recipe] = {};
    for (const [gateKey, entry] of Object.entries(gates ?? {})) {
      if (!isValidGateKey(gateKey)) fail(`${at}.${gateKey}`, 'gate key must match ^[a-z0-9][a-z0-9-]{0,62}$');
      recipes[recipe][gateKey] = parseGatePolicyEntry(entry, gateKey, `${at}.${gateKey}`);
    }
  }
  return recipes;
}

/** The top-level sections of the file and their parsers; any other key is refused by name. */
const SECTIONS = {
  recipes: (value: unknown, file: PolicyFile) => {
    file.recipes = recipesOf(value, 'recipes');
  },
  riskLevels: (value: unknown, file: PolicyFile) => {
    file.riskLevels = parseRiskLevels(value, 'riskLevels');
  },
  riskRules: (value: unknown, file: PolicyFile) => {
    file.riskRules = parseRiskRules(value, 'riskRules');
  },
  allowSelfApproval: (value: unknown, file: PolicyFile) => {
    file.allowSelfApproval = parseAllowSelfApproval(value, 'allowSelfApproval');
  },
} satisfies Record<string, (value: unknown, file: PolicyFile) => void>;
const SECTION_KEYS = Object.keys(SECTIONS);

/**
 * The first shape of the file: recipes at the top level. Recognised only when every top-level key is
 * a built-in recipe (the only ones it could name) and none is a section, so a typo in a section name
 * is still reported as an unknown field.
 */
function isLegacyShape(raw: Record<string, unknown>): boolean {
  const keys = Object.keys(raw);
  return keys.length > 0 && keys.every((k) => BUILT_IN_RECIPES.includes(k) && !SECTION_KEYS.includes(k));
}

/** Checks a parsed document against the shape, strictly: every problem is an error saying where. */
export function parsePolicyFile(raw: unknown): ParsedPolicyFile {
  if (raw === null || raw === undefined) return { file: { recipes: {} }, legacy: false };
  if (!isPlainObject(raw)) return fail('policy file', 'must be a map with a top-level "recipes:" key');
  if (isLegacyShape(raw)) return { file: { recipes: recipesOf(raw, 'policy file') }, legacy: true };
  refuseUnknownKeys(raw, SECTION_KEYS, 'policy file');
  const file: PolicyFile = { recipes: {} };
  for (const [key, value] of Object.entries(raw)) SECTIONS[key as keyof typeof SECTIONS](value, file);
  return { file, legacy: false };
}

/** Every recipe a run may name: the built-in ones and those the file declares. */
export function knownRecipes(file: PolicyFile): string[] {
  return [...new Set([...BUILT_IN_RECIPES, ...Object.keys(file.recipes)])];
}
