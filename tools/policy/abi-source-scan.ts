import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ts from 'typescript';

/**
 * The static half of `policy:hitl-abi`: no source file outside libs/contracts spells an event key
 * (`ui:`, `decision:`) or a topic (`human:`, `sys:`, or their subjects `human.`, `sys.`) in a string
 * or template literal. Keys and topics are written through the ABI constants (`eventKeys`, `topics`,
 * `topicSubjects`, `sysSubjects`), so a literal is either a key the ABI does not know or a copy that
 * can drift. Comments are not code and are not read.
 */
export const SCANNED_DIRS = ['apps', 'libs'];
/** Where the ABI constants live: the one place allowed to spell keys and topics. */
export const ABI_HOME = join('libs', 'contracts', 'src');

/**
 * A literal's text (template substitutions as `${}`) that spells a key or a topic prefix. A `<`
 * after the prefix is a placeholder in prose (`ui:<gateKey>` in an OpenAPI description), and a
 * subscription wildcard (`human.>`) reads rather than writes: neither is flagged.
 */
const KEY_OR_TOPIC = /(?:^|[^A-Za-z0-9_.-])(?:(?:ui|decision|human|sys):(?!<)|(?:human|sys)\.(?=[a-z0-9$*{]))/;

export interface AbiLiteral {
  file: string;
  line: number;
  text: string;
}

export interface SourceScanReport {
  ok: boolean;
  filesScanned: number;
  literals: AbiLiteral[];
}

function isScannedSource(path: string): boolean {
  if (!/\.tsx?$/.test(path) || path.endsWith('.d.ts')) return false;
  if (/\.(spec|int-spec|e2e-spec)\.tsx?$/.test(path)) return false;
  // Test harnesses plant whatever they need.
  return !path.split(sep).includes('test');
}

function listSources(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : listSources(path);
    return isScannedSource(path) ? [path] : [];
  });
}

function literalText(node: ts.Node): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) {
    return node.head.text + node.templateSpans.map((s) => '${}' + s.literal.text).join('');
  }
  return undefined;
}

/** The key or topic literals of one file's source text. */
export function scanSource(file: string, source: string): AbiLiteral[] {
  const sf = ts.createSourceFile(
    file,
    source,
    ts.ScriptTarget.Latest,
    true,
    file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const found: AbiLiteral[] = [];
  const visit = (node: ts.Node) => {
    const text = literalText(node);
    if (text !== undefined) {
      // Import paths are module names, not keys.
      const inImport = ts.isImportDeclaration(node.parent) || ts.isExportDeclaration(node.parent);
      if (!inImport && KEY_OR_TOPIC.test(text)) {
        const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
        found.push({ file, line, text });
      }
      if (!ts.isTemplateExpression(node)) return;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Scans apps/ and libs/ under `root` (libs/contracts/src excepted). */
export function scanWorkspace(root: string, dirs: string[] = SCANNED_DIRS): SourceScanReport {
  const files = dirs
    .flatMap((d) => listSources(join(root, d)))
    .filter((f) => !relative(root, f).startsWith(ABI_HOME + sep));
  const literals = files.flatMap((f) => scanSource(relative(root, f), readFileSync(f, 'utf8')));
  return { ok: literals.length === 0, filesScanned: files.length, literals };
}
