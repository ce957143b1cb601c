/**
 * NestJS 12 packages are ESM-only. The app runs as CommonJS on Node's require(esm), but Jest's
 * module loader cannot require ESM on Node 20, so @swc/jest compiles those packages to CommonJS.
 */
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};
const esmPackages = [
  '@nestjs',
  // @fastify/static (Swagger UI's files on Fastify) and its ESM-only dependencies.
  '@fastify/static',
  'content-disposition',
  'glob',
  'lru-cache',
  'minimatch',
  'path-scurry',
  'file-type',
  'strtok3',
  'token-types',
  'uint8array-extras',
  '@tokenizer',
  'load-esm',
  // JWT verification (libs/identity).
  'jose',
];

const common = {
  testEnvironment: 'node',
  rootDir: __dirname,
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', swc] },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleNameMapper: {
    '^@gatehouse/(contracts|identity|messaging|persistence)$': '<rootDir>/libs/$1/src/index.ts',
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/.tmp/'],
  // Decorator metadata (class-validator, Nest DI) needs the polyfill before any contract loads.
  setupFiles: ['reflect-metadata'],
};

module.exports = {
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,tools}/**/*.spec.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/{apps,libs,tools}/**/*.int-spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/e2e/**/*.e2e-spec.ts'],
      // Long chaos runs are `npm run test:chaos` only (e2e/chaos/jest.config.js).
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '<rootDir>/e2e/chaos/long/'],
    },
  ],
};
