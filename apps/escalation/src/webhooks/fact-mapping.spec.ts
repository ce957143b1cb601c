import { subjects } from '@gatehouse/contracts';
import { webhookFactsOf } from './fact-mapping';

describe('webhookFactsOf', () => {
  const wid = '7b0f3c2e-9d7a-4c55-8a1e-2f1f7a9b8c01';

  it('makes a timed-out gate that escalated into gate.timed_out and gate.escalated, with distinct ids', () => {
    const body = { workflowId: wid, gateKey: 'a', rootGateKey: 'a', state: 'TIMED_OUT', escalatedTo: 'a-l1', at: 't' };
    const facts = webhookFactsOf(subjects.gateDecided(wid, 'a'), body, 'f1');
    expect(facts.map((f) => [f.type, f.webhookId])).toEqual([
      ['gate.timed_out', 'f1'],
      ['gate.escalated', 'f1:escalated'],
    ]);
  });

  it('makes an accepted reply gate.decided and ignores facts no endpoint can subscribe to', () => {
    const decided = { workflowId: wid, gateKey: 'a', state: 'RECEIVED', escalatedTo: null, at: 't' };
    expect(webhookFactsOf(subjects.gateDecided(wid, 'a'), decided, 'f2').map((f) => f.type)).toEqual(['gate.decided']);
    expect(webhookFactsOf(subjects.runUpdated(wid), { workflowID: wid }, 'f3')).toEqual([]);
    expect(webhookFactsOf(subjects.gateRequested(wid, 'a'), { workflowId: wid }, 'f4')).toEqual([]);
    expect(webhookFactsOf(subjects.gateOpened(wid, 'a'), [], 'f5')).toEqual([]);
  });
});
