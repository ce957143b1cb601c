import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_STATUS, ErrorCode } from './error-code';

/** docs/errors.md is the operator's list of codes: it must name every code with its real status. */
describe('docs/errors.md', () => {
  const doc = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'errors.md'), 'utf8');

  it.each(Object.values(ErrorCode))('documents %s with its status', (code) => {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
    expect(row).toBeDefined();
    expect(row).toContain(`| ${ERROR_STATUS[code]} |`);
  });
});
