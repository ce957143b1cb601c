import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Workspace root, whether running from sources (jest) or from dist. */
export const ROOT = resolve(__dirname, __dirname.includes(`${join('dist', 'tools')}`) ? '../../..' : '../..');

/** A fresh scratch folder under .tmp/ (ignored by git). */
export function scratchDir(...parts: string[]): string {
  const dir = join(ROOT, '.tmp', ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}
