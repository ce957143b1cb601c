import { subjects } from '@gatehouse/contracts';
import { feedEventOfSubject } from './gate-feed.service';

describe('gate feed subjects', () => {
  const wid = '0b8f8a52-7d1c-4c53-9b39-3f1f1d0a4e11';

  it('names the gate and what happened to it', () => {
    expect(feedEventOfSubject(subjects.gateOpened(wid, 'approve-plan'))).toEqual({
      type: 'opened',
      workflowId: wid,
      gateKey: 'approve-plan',
    });
    expect(feedEventOfSubject(subjects.gateDecided(wid.toUpperCase(), 'g1'))?.type).toBe('decided');
    expect(feedEventOfSubject(subjects.gateDecided(wid.toUpperCase(), 'g1'))?.workflowId).toBe(wid);
    expect(feedEventOfSubject(subjects.gateCancelled(wid, 'g1'))?.type).toBe('cancelled');
  });

  it('ignores any other subject', () => {
    expect(feedEventOfSubject(subjects.runUpdated(wid))).toBeUndefined();
    expect(feedEventOfSubject(`evt.gates.gate-voted.${wid}.g1`)).toBeUndefined();
    expect(feedEventOfSubject(`evt.gates.gate-opened.${wid}`)).toBeUndefined();
  });
});
