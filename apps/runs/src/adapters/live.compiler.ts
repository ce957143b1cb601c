import { payloadHash } from '@gatehouse/contracts';
import { AdapterError } from './adapter.error';
import type { CompiledPlan, Compiler, IntentInput } from './compiler';
import { isPlainObject, postJson } from './post-json';

/**
 * HTTP compiler (OC_MODE=live). Request: `POST OC_URL {"intent": {id, goal, inputs, constraints}}`.
 * Answer: `{"plan": {...}}`. The plan hash is computed here, never taken from the endpoint.
 */
export class LiveCompiler implements Compiler {
  readonly mode = 'live' as const;

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  async compile(intent: IntentInput): Promise<CompiledPlan> {
    const body = await postJson('live compiler', this.url, { intent }, this.timeoutMs);
    if (!isPlainObject(body) || !isPlainObject(body.plan)) {
      throw new AdapterError('live compiler', 'answer has no "plan" object');
    }
    return { plan: body.plan, planHash: payloadHash(body.plan) };
  }
}
