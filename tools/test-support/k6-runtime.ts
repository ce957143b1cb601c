import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import * as ts from 'typescript';
import { SyncHttp, type SyncRequest, type SyncResponse } from './sync-http';

/**
 * Enough of k6's runtime to run the k6 scripts of tools/k6 in Node, where k6 cannot be installed:
 * the scripts are loaded as k6 loads them (ES modules, `open` relative to the script, `__ENV`) and
 * their `k6`, `k6/http` and `k6/execution` imports get working stand-ins, with blocking HTTP as in
 * k6. One virtual user runs the iterations one after the other: this checks what the scripts send
 * and check, not how fast (the Node runner measures that).
 */
export const K6_DIR = join(__dirname, '../k6');

export type K6Exports = Record<string, any>;

export interface LoadOptions {
  env?: Record<string, string>;
  /** The k6 modules the script may import, by name. */
  modules: Record<string, K6Exports>;
  /** k6's open(path), the path relative to the script's folder. */
  open?: (path: string) => string;
}

/** Loads tools/k6/<file> and the ./ files it imports; throws on any other import. */
export function loadK6Script(file: string, options: LoadOptions, cache = new Map<string, K6Exports>()): K6Exports {
  const cached = cache.get(file);
  if (cached) return cached;
  const source = readFileSync(join(K6_DIR, file), 'utf8');
  const { outputText, diagnostics } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 },
    reportDiagnostics: true,
    fileName: file,
  });
  if (diagnostics?.length) {
    throw new Error(
      `${file} does not parse: ${diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')).join('; ')}`,
    );
  }
  const module = { exports: {} as K6Exports };
  cache.set(file, module.exports);
  runInNewContext(outputText, {
    module,
    exports: module.exports,
    __ENV: options.env ?? {},
    open: options.open ?? ((path: string) => readFileSync(join(K6_DIR, path), 'utf8')),
    require: (name: string) => {
      if (name in options.modules) return options.modules[name];
      if (name.startsWith('./')) return loadK6Script(name.slice(2), options, cache);
      throw new Error(`a k6 script may import k6 modules and ./ files only, not ${name}`);
    },
  });
  return module.exports;
}

export interface K6Request {
  name?: string;
  method: string;
  url: string;
  status: number;
}

export interface K6RunResult {
  /** Passes and fails by check name. */
  checks: Record<string, { passes: number; fails: number }>;
  requests: K6Request[];
  iterations: number;
}

export interface K6RunOptions {
  baseUrl: string;
  env?: Record<string, string>;
  /** Served to the script in place of tools/load/scenarios.json (smaller counts for a test). */
  scenarios?: Record<string, unknown>;
}

type BatchItem = [
  string,
  string,
  string | null | undefined,
  { headers?: Record<string, string>; tags?: { name?: string } }?,
];

/** A k6 response: status, body and json(selector) with a dotted selector. */
function k6Response(res: SyncResponse) {
  return {
    status: res.status,
    body: res.body,
    error: res.error ?? '',
    json(selector?: string) {
      const value = JSON.parse(res.body);
      return selector ? selector.split('.').reduce((v, key) => (v == null ? undefined : v[key]), value) : value;
    },
  };
}

/** Iterations of the script's first scenario: its count, or rate × duration for an arrival rate. */
function iterationsOf(options: K6Exports): number {
  const scenario = Object.values(options?.scenarios ?? {})[0] as K6Exports | undefined;
  if (!scenario) return 1;
  if (scenario.executor === 'shared-iterations') return scenario.iterations;
  if (scenario.executor === 'constant-arrival-rate') {
    const m = /^(\d+)(s|m)$/.exec(String(scenario.duration));
    if (!m) throw new Error(`unsupported duration ${scenario.duration}`);
    const seconds = Number(m[1]) * (m[2] === 'm' ? 60 : 1);
    return Math.ceil((scenario.rate * seconds) / (scenario.timeUnit === '1m' ? 60 : 1));
  }
  throw new Error(`unsupported executor ${scenario.executor}`);
}

/** Runs tools/k6/<file>: setup(), then its default function once per iteration of its scenario. */
export async function runK6Script(file: string, options: K6RunOptions): Promise<K6RunResult> {
  const http = new SyncHttp();
  const checks: K6RunResult['checks'] = {};
  const requests: K6Request[] = [];
  const execution = { scenario: { iterationInTest: 0 } };
  const send = (items: BatchItem[]) => {
    const reqs: SyncRequest[] = items.map(([method, url, body, params]) => ({
      method,
      url,
      body: body ?? null,
      headers: params?.headers,
    }));
    const answers = http.batch(reqs);
    answers.forEach((a, i) =>
      requests.push({ name: items[i][3]?.tags?.name, method: reqs[i].method, url: reqs[i].url, status: a.status }),
    );
    return answers.map(k6Response);
  };
  const k6Http = {
    request: (method: string, url: string, body?: string | null, params?: BatchItem[3]) =>
      send([[method, url, body, params]])[0],
    get: (url: string, params?: BatchItem[3]) => send([['GET', url, null, params]])[0],
    post: (url: string, body?: string | null, params?: BatchItem[3]) => send([['POST', url, body, params]])[0],
    batch: (items: BatchItem[]) => send(items),
  };
  const k6 = {
    check(value: unknown, sets: Record<string, (v: unknown) => unknown>): boolean {
      let all = true;
      for (const [name, predicate] of Object.entries(sets)) {
        const ok = Boolean(predicate(value));
        const tally = (checks[name] ??= { passes: 0, fails: 0 });
        if (ok) tally.passes++;
        else tally.fails++;
        all &&= ok;
      }
      return all;
    },
    sleep: (seconds: number) => SyncHttp.sleep(seconds * 1000),
  };
  try {
    const script = loadK6Script(file, {
      env: { BASE_URL: options.baseUrl, ...options.env },
      modules: {
        k6,
        'k6/http': { __esModule: true, default: k6Http },
        'k6/execution': { __esModule: true, default: execution },
      },
      open: (path) =>
        options.scenarios && path.endsWith('scenarios.json')
          ? JSON.stringify(options.scenarios)
          : readFileSync(join(K6_DIR, path), 'utf8'),
    });
    const data = typeof script.setup === 'function' ? script.setup() : undefined;
    const iterations = iterationsOf(script.options);
    for (let i = 0; i < iterations; i++) {
      execution.scenario.iterationInTest = i;
      script.default(data);
    }
    return { checks, requests, iterations };
  } finally {
    await http.close();
  }
}
