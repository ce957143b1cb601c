import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { PolicyFileError } from './policy-file.error';
import { EMPTY_POLICY_FILE, parsePolicyFile, type PolicyFile } from './policy-file';

export interface LoadedPolicyFile {
  file: PolicyFile;
  /** Things the operator should fix that do not stop the process (the deprecated legacy shape). */
  warnings: string[];
}

/** Where the file's format and the one-step migration of the legacy shape are documented. */
export const POLICY_FILE_DOC = 'docs/configuration.md#gate-policy-file';

/**
 * Reads and checks `GATE_POLICY_FILE` (YAML or JSON: YAML 1.2 reads JSON as it is). An empty path is
 * no file. Throws PolicyFileError naming the file and the problem. The one loader of every process
 * that needs the recipes or the gate policies (gateway, runs, gates).
 */
export function loadPolicyFile(path: string | undefined): LoadedPolicyFile {
  if (!path) return { file: EMPTY_POLICY_FILE, warnings: [] };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PolicyFileError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    // Duplicate keys are an error (uniqueKeys), as is anything that is not plain data.
    raw = parse(text, { uniqueKeys: true, prettyErrors: false });
  } catch (err) {
    throw new PolicyFileError(`${path} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    const { file, legacy } = parsePolicyFile(raw);
    const warnings = legacy
      ? [
          `${path} uses the deprecated shape {"<recipe>": {"<gateKey>": ...}}: move those entries under a ` +
            `top-level "recipes:" key (nothing else changes); see ${POLICY_FILE_DOC}`,
        ]
      : [];
    return { file, warnings };
  } catch (err) {
    if (err instanceof PolicyFileError) throw new PolicyFileError(`${path}: ${err.message}`);
    throw err;
  }
}

/** Undefined when `path` is empty (no file) or names a valid file; else what is wrong with it. */
export function policyFileProblem(path: unknown): string | undefined {
  if (path === undefined || path === '') return undefined;
  if (typeof path !== 'string') return 'must be a path';
  try {
    loadPolicyFile(path);
    return undefined;
  } catch (err) {
    if (err instanceof PolicyFileError) return err.message;
    throw err;
  }
}
