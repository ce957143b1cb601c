import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../test-support/paths';

/**
 * Where the lanes write their evidence (and `release:decision` reads it): `.tmp/` of the workspace,
 * the seed's place, or GATEHOUSE_EVIDENCE_DIR (tests point it at a folder of their own).
 */
export function evidenceDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.GATEHOUSE_EVIDENCE_DIR || join(ROOT, '.tmp');
  mkdirSync(dir, { recursive: true });
  return dir;
}
