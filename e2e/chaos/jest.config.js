/**
 * `npm run test:chaos`: every chaos test, the long ones under e2e/chaos/long/ included (the default
 * e2e project leaves those out of `npm test`). Same transform and aliases as the root config.
 */
const root = require('../../jest.config.js');
const e2e = root.projects.find((p) => p.displayName === 'e2e');

module.exports = {
  testTimeout: 900000,
  projects: [
    {
      ...e2e,
      displayName: 'chaos',
      testMatch: ['<rootDir>/e2e/chaos/**/*.e2e-spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.tmp/'],
    },
  ],
};
