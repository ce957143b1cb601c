import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The seed's operator field course, kept verbatim beside this file. */
export const COURSE_FILE = join(__dirname, 'course.md');

export interface Lab {
  /** `L07` */
  id: string;
  title: string;
  /** The lab's bash, as the course writes it. */
  bash: string;
  /** The lab's "Expect:" text, if it has one. */
  expect?: string;
}

export interface Course {
  /** Section 4, the shell kit every lab runs in. */
  shellKit: string;
  labs: Map<string, Lab>;
}

const bashBlocks = (text: string): string[] => [...text.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]);

/** Reads the shell kit and the labs out of the course's markdown. */
export function readCourse(file = COURSE_FILE): Course {
  const text = readFileSync(file, 'utf8');
  const kitSection = /## 4\) Shell Kit[^\n]*\n([\s\S]*?)\n## /.exec(text);
  if (!kitSection) throw new Error(`${file}: no "## 4) Shell Kit" section`);
  const labs = new Map<string, Lab>();
  for (const m of text.matchAll(/^### (L\d\d) ([^\n]*)\n([\s\S]*?)(?=^##)/gm)) {
    const [, id, title, body] = m;
    const expect = /^Expect: (.*)$/m.exec(body)?.[1];
    labs.set(id, { id, title, bash: bashBlocks(body).join('\n'), expect });
  }
  return { shellKit: bashBlocks(kitSection[1]).join('\n'), labs };
}

/**
 * What must differ in a test, and only that (e2e/field-course/README.md): the gateway addresses and
 * the scratch files' folder.
 */
export interface Substitutions {
  base: string;
  base2?: string;
  scratchDir: string;
}

export function substitute(bash: string, s: Substitutions): string {
  let out = bash
    .replace(/^BASE=http:\/\/127\.0\.0\.1:3001$/m, `BASE=${s.base}`)
    .replaceAll('/tmp/008-', `${s.scratchDir}/008-`);
  if (s.base2) out = out.replace(/^BASE2=http:\/\/127\.0\.0\.1:3011$/m, `BASE2=${s.base2}`);
  return out;
}

/** Marks where a lab's output starts in the transcript; printed on a line of its own. */
const MARK = '@@@lab';
const VAR_MARK = '@@@var';

export interface LabRun {
  /** Each lab's output (stdout and stderr in order), by lab id. */
  output: Map<string, string>;
  /** The shell variables the labs set (WID, GATE, W2, ...), read after the last lab. */
  vars: Record<string, string>;
  /** The whole transcript, for failure messages. */
  transcript: string;
}

/**
 * Runs the shell kit and then `labIds` in order in one bash session, as an operator pastes them into
 * one terminal (variables carry over from lab to lab). Resolves with each lab's output.
 */
export async function runLabs(
  course: Course,
  labIds: string[],
  s: Substitutions,
  env: NodeJS.ProcessEnv,
  cwd: string,
  timeoutMs: number,
): Promise<LabRun> {
  const parts = ['exec 2>&1', substitute(course.shellKit, s)];
  for (const id of labIds) {
    const lab = course.labs.get(id);
    if (!lab) throw new Error(`the course has no lab ${id}`);
    // A body printed without a final newline (`cat x.out`) must not swallow the mark.
    parts.push(`printf '\\n${MARK} ${id}\\n'`, substitute(lab.bash, s));
  }
  parts.push(`printf '\\n${MARK} END\\n'`);
  parts.push(
    `for v in $(compgen -v); do case "$v" in [A-Z]*) printf '${VAR_MARK} %s=%s\\n' "$v" "\${!v}";; esac; done`,
  );
  const transcript = await runBash(parts.join('\n'), env, cwd, timeoutMs);
  // Kept for whoever reads a failure: the labs' whole output, as a terminal would have shown it.
  writeFileSync(join(s.scratchDir, 'transcript.txt'), transcript);

  const output = new Map<string, string>();
  const vars: Record<string, string> = {};
  const sections = transcript.split(new RegExp(`^${MARK} `, 'm'));
  for (const section of sections.slice(1)) {
    const nl = section.indexOf('\n');
    const id = section.slice(0, nl);
    const body = section.slice(nl + 1);
    if (id !== 'END') {
      output.set(id, body);
      continue;
    }
    for (const line of body.split('\n')) {
      const m = new RegExp(`^${VAR_MARK} ([A-Za-z0-9_]+)=(.*)$`).exec(line);
      if (m) vars[m[1]] = m[2];
    }
  }
  return { output, vars, transcript };
}

function runBash(script: string, env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`labs did not finish in ${timeoutMs} ms; transcript so far:\n${out}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
    child.stdin.end(script);
  });
}

/** One thing a lab printed: a JSON value (compact or jq-pretty, several may share a line) or a line of text. */
export type Printed = { json: unknown } | { line: string };

/** Splits a lab's output into the JSON values and text lines it printed, in order. */
export function printed(output: string): Printed[] {
  const items: Printed[] = [];
  let pos = 0;
  while (pos < output.length) {
    if (output[pos] === '\n') {
      pos++;
      continue;
    }
    if (output[pos] === '{' || output[pos] === '[') {
      const end = jsonEnd(output, pos);
      if (end > 0) {
        try {
          items.push({ json: JSON.parse(output.slice(pos, end)) });
          pos = end;
          continue;
        } catch {
          /* not JSON after all: a text line */
        }
      }
    }
    const eol = output.indexOf('\n', pos);
    const stop = eol < 0 ? output.length : eol;
    items.push({ line: output.slice(pos, stop) });
    pos = stop + 1;
  }
  return items;
}

/** Index just past the bracketed value starting at `start`, or -1 when it never closes. */
function jsonEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

export const jsonValues = (items: Printed[]): any[] =>
  items.filter((i): i is { json: unknown } => 'json' in i).map((i) => i.json);
export const textLines = (items: Printed[]): string[] =>
  items.filter((i): i is { line: string } => 'line' in i).map((i) => i.line);
