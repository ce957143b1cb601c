/** The signoff lanes, in the order `release:decision` runs them (the seed's `quick && check && full`). */
export const SIGNOFF_LANES = ['quick', 'check', 'full'] as const;
export type SignoffLane = (typeof SIGNOFF_LANES)[number];

export interface LaneStep {
  /** What the step is, by the seed's or the project's lane name. */
  name: string;
  command: string;
}

/**
 * What each lane runs (see docs/lanes.md). Steps run from the workspace root after `npm run build`,
 * in order, each once; the first that fails ends the lane.
 */
export const LANE_STEPS: Record<SignoffLane, LaneStep[]> = {
  quick: [
    { name: 'typecheck', command: 'npm run typecheck --silent' },
    { name: 'lint', command: 'npm run lint --silent' },
    { name: 'format:check', command: 'npm run format:check --silent' },
    { name: 'test:unit', command: 'npx jest --selectProjects unit' },
  ],
  check: [
    {
      name: 'policy:hitl-abi + policy:hitl-event-abi + policy:hitl-correctness (private stack, short scenario)',
      command: 'node dist/tools/policy/policy-cli.js all --spawn',
    },
    { name: 'test:int', command: 'npx jest --selectProjects integration --runInBand' },
  ],
  full: [
    { name: 'npm test', command: 'npm test' },
    { name: 'hitl:load:1k', command: 'node dist/tools/lanes/load-lane.js load-1k' },
    { name: 'hitl:burst:soak', command: 'node dist/tools/lanes/load-lane.js burst' },
    { name: 'test:soak:hitl', command: 'node dist/tools/lanes/load-lane.js soak' },
  ],
};

/** The command `release:decision` runs for a lane: the lane's npm script. */
export const LANE_COMMANDS: Record<SignoffLane, string> = {
  quick: 'npm run quick',
  check: 'npm run check',
  full: 'npm run full',
};

/** A lane's log file, in the evidence folder. */
export const laneLogName = (lane: SignoffLane) => `npm-${lane}.log`;
