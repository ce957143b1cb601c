import { mayControlRun } from './run-control-access';

describe('who may control a run', () => {
  it('operators, admins and anonymous (every role) control any run', () => {
    for (const roles of [['operator'], ['admin'], ['*'], ['reviewer', 'operator']])
      expect(mayControlRun({ id: 'key:x', roles }, 'key:someone-else')).toBe(true);
  });

  it('the requester controls its own run only', () => {
    expect(mayControlRun({ id: 'key:alice', roles: ['reviewer'] }, 'key:alice')).toBe(true);
    expect(mayControlRun({ id: 'key:alice', roles: ['reviewer'] }, 'key:bob')).toBe(false);
    expect(mayControlRun({ id: 'key:alice', roles: [] }, null)).toBe(false);
  });
});
