export interface LaunchOptions {
  /** Replicas of runs, gates and escalation. */
  replicas: number;
  /** Gateway replicas; the n-th listens on PORT + n. */
  gateways: number;
}

const USAGE = 'usage: npm start -- [--replicas N] [--gateways N]   (N from 1 to 16)';

/** Parses `--replicas N` / `--replicas=N` and `--gateways N`; anything else is an error. */
export function parseLaunchOptions(argv: string[]): LaunchOptions {
  const options: LaunchOptions = { replicas: 1, gateways: 1 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    if (flag === '--help' || flag === '-h') throw new Error(USAGE);
    if (flag !== '--replicas' && flag !== '--gateways') throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
    const raw = inline ?? argv[++i];
    if (!/^\d+$/.test(raw ?? '') || Number(raw) < 1 || Number(raw) > 16) {
      throw new Error(`${flag} needs an integer from 1 to 16, got ${raw}\n${USAGE}`);
    }
    options[flag === '--replicas' ? 'replicas' : 'gateways'] = Number(raw);
  }
  return options;
}
