import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  gatePolicyFileProblem,
  GatePolicyFileError,
  loadGatePolicyFile,
  parseGatePolicyFile,
} from './gate-policy-file';

const valid = {
  'agent-plan': {
    'approve-plan': {
      timeoutS: 60,
      timeoutAction: 'escalate',
      escalationChain: [
        { group: 'sre-oncall', timeoutS: 600 },
        { group: 'eng-leads', timeoutS: 1200 },
      ],
    },
  },
  deploy: { 'approve-plan': { timeoutAction: 'approve' }, 'deploy-prod': {} },
};

describe('parseGatePolicyFile', () => {
  it('accepts the documented shape, fields optional', () => {
    expect(parseGatePolicyFile(valid)).toEqual(valid);
    expect(parseGatePolicyFile({})).toEqual({});
  });

  it.each([
    ['not an object', [], /policy file/],
    ['an unknown recipe', { 'agent-plna': {} }, /agent-plna: unknown recipe/],
    ['a recipe that is not an object', { deploy: 3 }, /deploy: must be an object/],
    ['a bad gate key', { deploy: { 'Approve Plan': {} } }, /deploy\.Approve Plan: gate key/],
    ['an unknown field', { deploy: { g: { timeout: 5 } } }, /deploy\.g: unknown field\(s\) timeout/],
    ['a zero deadline', { deploy: { g: { timeoutS: 0 } } }, /deploy\.g\.timeoutS: must be an integer/],
    ['a fractional deadline', { deploy: { g: { timeoutS: 1.5 } } }, /timeoutS/],
    ['a deadline past 30 days', { deploy: { g: { timeoutS: 2_592_001 } } }, /timeoutS/],
    ['a deadline as text', { deploy: { g: { timeoutS: '60' } } }, /timeoutS/],
    [
      'an unknown action',
      { deploy: { g: { timeoutAction: 'ignore' } } },
      /timeoutAction: must be one of escalate, reject, approve/,
    ],
    ['a chain that is not an array', { deploy: { g: { escalationChain: {} } } }, /escalationChain: must be an array/],
    [
      'a chain entry without a group',
      { deploy: { g: { escalationChain: [{ timeoutS: 5 }] } } },
      /escalationChain\[0\]\.group/,
    ],
    [
      'a chain entry with a bad group',
      { deploy: { g: { escalationChain: [{ group: 'a b', timeoutS: 5 }] } } },
      /group/,
    ],
    [
      'a chain entry without a deadline',
      { deploy: { g: { escalationChain: [{ group: 'a' }] } } },
      /escalationChain\[0\]\.timeoutS/,
    ],
    [
      'a chain entry with an extra field',
      { deploy: { g: { escalationChain: [{ group: 'a', timeoutS: 5, x: 1 }] } } },
      /unknown field/,
    ],
    [
      'a chain longer than 10',
      { deploy: { g: { escalationChain: Array.from({ length: 11 }, () => ({ group: 'a', timeoutS: 5 })) } } },
      /more than 10/,
    ],
    [
      'a gate key too long for its successors',
      { deploy: { ['a'.repeat(62)]: { escalationChain: [{ group: 'a', timeoutS: 5 }] } } },
      /too long/,
    ],
  ])('refuses %s, saying where', (_label, raw, message) => {
    expect(() => parseGatePolicyFile(raw)).toThrow(GatePolicyFileError);
    expect(() => parseGatePolicyFile(raw)).toThrow(message);
  });
});

describe('loadGatePolicyFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gate-policy-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('reads a valid file', () => {
    expect(loadGatePolicyFile(write('ok.json', JSON.stringify(valid)))).toEqual(valid);
  });

  it('names the file and the problem', () => {
    const missing = join(dir, 'missing.json');
    expect(() => loadGatePolicyFile(missing)).toThrow(`cannot read ${missing}`);
    const notJson = write('bad.json', '{ nope');
    expect(() => loadGatePolicyFile(notJson)).toThrow(`${notJson} is not valid JSON`);
    const wrong = write('wrong.json', JSON.stringify({ deploy: { g: { timeoutAction: 'ignore' } } }));
    expect(() => loadGatePolicyFile(wrong)).toThrow(`${wrong}: deploy.g.timeoutAction: must be one of`);
  });

  it('gatePolicyFileProblem: none for no file or a valid one, the message otherwise', () => {
    expect(gatePolicyFileProblem('')).toBeUndefined();
    expect(gatePolicyFileProblem(undefined)).toBeUndefined();
    expect(gatePolicyFileProblem(write('ok2.json', '{}'))).toBeUndefined();
    expect(gatePolicyFileProblem(join(dir, 'nope.json'))).toMatch(/cannot read/);
  });
});
