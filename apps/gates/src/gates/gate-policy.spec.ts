import 'reflect-metadata';
import { TimeoutAction } from '@gatehouse/contracts';
import { resolveGatePolicy } from './gate-policy';

describe('resolveGatePolicy', () => {
  it.each(['agent-plan', 'deploy', 'data-migration', 'unknown-recipe'])(
    'gives %s the configured deadline and fail-closed reject',
    (recipe) => {
      expect(resolveGatePolicy(recipe, 'approve-plan', { timeoutS: 42 })).toEqual({
        timeoutS: 42,
        timeoutAction: TimeoutAction.REJECT,
        escalationChain: [],
        requireRationale: false,
      });
    },
  );

  it('returns a fresh object each time (callers may store it)', () => {
    const a = resolveGatePolicy('deploy', 'g', { timeoutS: 1 });
    const b = resolveGatePolicy('deploy', 'g', { timeoutS: 1 });
    expect(a).not.toBe(b);
    expect(a.escalationChain).not.toBe(b.escalationChain);
  });
});
