import { sampleValue } from './prometheus-text';

describe('sampleValue', () => {
  const text = [
    '# HELP x_total things',
    '# TYPE x_total counter',
    'x_total{b="2",a="1"} 3',
    'x_total{a="9",b="2"} 4',
    'y 0.5',
  ].join('\n');

  it('finds a sample by name and a subset of its labels, in any order', () => {
    expect(sampleValue(text, 'x_total', { a: '1', b: '2' })).toBe(3);
    expect(sampleValue(text, 'x_total', { a: '9' })).toBe(4);
    expect(sampleValue(text, 'y')).toBe(0.5);
  });

  it('is undefined for a name or labels that are not there', () => {
    expect(sampleValue(text, 'x', { a: '1' })).toBeUndefined();
    expect(sampleValue(text, 'x_total', { a: '2' })).toBeUndefined();
    expect(sampleValue(text, 'z')).toBeUndefined();
  });
});
