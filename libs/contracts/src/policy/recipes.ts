/**
 * Recipes name a run's kind and select its gate policy (DESIGN sections 2 and 11). These exist
 * without any declaration; a policy file may declare more (adding a recipe is configuration).
 */
export const DEFAULT_RECIPE = 'compile-default';
export const BUILT_IN_RECIPES: readonly string[] = [DEFAULT_RECIPE, 'agent-plan', 'deploy', 'data-migration'];

/** A declared recipe name: it is stored with runs and gates and shown in URLs and logs, so it is a slug. */
export const RECIPE_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
