import { parseLaunchOptions } from './launch-options';

describe('parseLaunchOptions', () => {
  it('defaults to one of each', () => {
    expect(parseLaunchOptions([])).toEqual({ replicas: 1, gateways: 1 });
  });

  it('reads --replicas and --gateways in both spellings', () => {
    expect(parseLaunchOptions(['--replicas', '3', '--gateways=2'])).toEqual({ replicas: 3, gateways: 2 });
  });

  it.each([['--replicas', '0'], ['--replicas', 'x'], ['--replicas'], ['--gateways', '17'], ['--bogus']])(
    'rejects %s %s',
    (...args) => {
      expect(() => parseLaunchOptions(args.filter((a): a is string => a !== undefined))).toThrow();
    },
  );
});
