// Lets a child Node process of a test run the workspace's TypeScript sources directly: compiles
// .ts files with @swc/core (same settings as jest.config.js) and maps the @gatehouse/* aliases.
// Used with `node -r ./libs/messaging/test/register-ts.js child.ts`.
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const swc = require('@swc/core');

const ROOT = path.resolve(__dirname, '../../..');
const ALIAS = /^@gatehouse\/(contracts|messaging|persistence)$/;

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const m = ALIAS.exec(request);
  return resolve.call(this, m ? path.join(ROOT, 'libs', m[1], 'src', 'index.ts') : request, ...rest);
};

require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};
