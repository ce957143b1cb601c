import { payloadHash } from '@gatehouse/contracts';
import type { CompiledPlan, Compiler, IntentInput, Plan } from './compiler';

/**
 * Offline compiler (OC_MODE=replay): the same intent content always yields the same plan and hash.
 * The plan analyses the goal, prepares each input (in key order), executes, then verifies the
 * constraints. The intent id is left out so that equal intents compile to equal plans.
 */
export class ReplayCompiler implements Compiler {
  readonly mode = 'replay' as const;

  async compile(intent: IntentInput): Promise<CompiledPlan> {
    const plan = replayPlan(intent);
    return { plan, planHash: payloadHash(plan) };
  }
}

export function replayPlan(intent: IntentInput): Plan {
  const inputKeys = Object.keys(intent.inputs).sort();
  const constraintKeys = Object.keys(intent.constraints).sort();
  const actions: Record<string, unknown>[] = [
    { action: 'analyze', detail: intent.goal },
    ...inputKeys.map((key) => ({ action: 'prepare-input', input: key, value: intent.inputs[key] })),
    { action: 'execute', detail: intent.goal },
    { action: 'verify', constraints: constraintKeys },
  ];
  return {
    schemaVersion: 1,
    compiler: 'replay',
    goal: intent.goal,
    constraints: intent.constraints,
    steps: actions.map((a, i) => ({ id: `step-${i + 1}`, ...a })),
  };
}
