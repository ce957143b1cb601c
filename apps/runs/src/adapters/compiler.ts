/** The compiler adapter: turns an intent into the plan a human approves at the plan gate. */
export interface IntentInput {
  id: string;
  goal: string;
  inputs: Record<string, unknown>;
  constraints: Record<string, unknown>;
}

export type Plan = Record<string, unknown>;

export interface CompiledPlan {
  plan: Plan;
  /** payloadHash(plan), always computed here: the hash names the plan version a human saw. */
  planHash: string;
}

export interface Compiler {
  readonly mode: 'replay' | 'live';
  compile(intent: IntentInput): Promise<CompiledPlan>;
}

export const COMPILER = Symbol('COMPILER');
