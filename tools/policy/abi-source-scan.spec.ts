import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../test-support/paths';
import { scanSource, scanWorkspace } from './abi-source-scan';

describe('ABI source scan', () => {
  it('finds no key or topic literal in the code of this workspace', () => {
    const report = scanWorkspace(ROOT);
    expect(report.literals).toEqual([]);
    expect(report.ok).toBe(true);
    // It did read the services: an empty scan would pass vacuously.
    expect(report.filesScanned).toBeGreaterThan(100);
  });

  it.each([
    ["await events.writeOnce(tx, wid, 'ui:' + g + ':summary', v);", 'ui:'],
    ['await events.writeOnce(tx, wid, `decision:${g}`, v);', 'decision:${}'],
    ["const topic = 'human:' + g;", 'human:'],
    ['nc.publish(`human.${wid}.${g}`, body);', 'human.${}.${}'],
    ["js.publish('sys.gatehouse.extra', body);", 'sys.gatehouse.extra'],
    [
      "db.query(`SELECT 1 FROM gates.workflow_events WHERE key = 'ui:' || $1`);",
      "SELECT 1 FROM gates.workflow_events WHERE key = 'ui:' || $1",
    ],
  ])('flags %s', (line, text) => {
    expect(scanSource('apps/x/src/x.ts', `${line}\n`)).toEqual([{ file: 'apps/x/src/x.ts', line: 1, text }]);
  });

  it.each([
    '// writes ui:<g> once',
    "import { eventKeys } from '@gatehouse/contracts';",
    'await events.writeOnce(tx, wid, eventKeys.prompt(g), v);',
    "const msg = 'waiting for a human. Retry later';",
    "const description = 'The prompt stored under `ui:<gateKey>`';",
    "const help = 'replies by surface (jetstream: human.>)';",
    "const url = 'postgres://postgres@127.0.0.1:5432/gatehouse';",
  ])('leaves alone %s', (line) => {
    expect(scanSource('apps/x/src/x.ts', `${line}\n`)).toEqual([]);
  });

  it('fails on a planted file and ignores the contracts lib and tests', () => {
    const root = mkdtempSync(join(tmpdir(), 'abi-scan-'));
    try {
      const put = (path: string, text: string) => {
        mkdirSync(join(root, path, '..'), { recursive: true });
        writeFileSync(join(root, path), text);
      };
      put('libs/contracts/src/abi/keys.ts', 'export const k = (g: string) => `ui:${g}`;\n');
      put('apps/gates/src/gates/clean.ts', 'export const n = 1;\n');
      put('apps/gates/src/gates/clean.spec.ts', "const k = 'ui:approve-plan:note';\n");
      put('apps/gates/src/test/harness.ts', "const k = 'decision:approve-plan';\n");
      expect(scanWorkspace(root)).toEqual({ ok: true, filesScanned: 1, literals: [] });

      put('apps/gates/src/gates/notes.ts', "export const noteKey = (g: string) => 'ui:' + g + ':note';\n");
      expect(scanWorkspace(root)).toEqual({
        ok: false,
        filesScanned: 2,
        literals: [{ file: join('apps', 'gates', 'src', 'gates', 'notes.ts'), line: 1, text: 'ui:' }],
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
