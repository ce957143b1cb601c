/**
 * Reads the subset of nats-server's configuration syntax that deploy/nats/auth.conf uses: blocks
 * `{ }` and lists `[ ]`, keys followed by `:`, `=` or nothing, quoted strings, bare words
 * (`$VAR`, `true`, names), `#` and `//` comments, commas or newlines between items. Enough to compare
 * the permission matrix with other deploy files; anything else is an error naming where it stopped.
 */
export type NatsConfValue = string | boolean | NatsConfValue[] | { [key: string]: NatsConfValue };

type Token = { kind: '{' | '}' | '[' | ']' | ':' | ',' | 'text'; text: string; quoted?: boolean; at: number };

const PUNCTUATION = '{}[]:,=';

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) i++;
    else if (c === '#' || source.startsWith('//', i)) {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (PUNCTUATION.includes(c)) {
      tokens.push({ kind: c === '=' ? ':' : (c as Token['kind']), text: c, at: i });
      i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let text = '';
      while (j < source.length && source[j] !== c) {
        if (source[j] === '\\') j++;
        text += source[j++];
      }
      if (j >= source.length) throw new Error(`unterminated string at offset ${i}`);
      tokens.push({ kind: 'text', text, quoted: true, at: i });
      i = j + 1;
    } else {
      let j = i;
      while (j < source.length && !/[\s{}[\],:=#]/.test(source[j])) j++;
      tokens.push({ kind: 'text', text: source.slice(i, j), at: i });
      i = j;
    }
  }
  return tokens;
}

export function parseNatsConf(source: string): Record<string, NatsConfValue> {
  const tokens = tokenize(source);
  let pos = 0;
  const fail = (what: string): never => {
    const at = tokens[pos]?.at ?? source.length;
    throw new Error(`${what} at line ${source.slice(0, at).split('\n').length}`);
  };

  const block = (end: '}' | undefined): Record<string, NatsConfValue> => {
    const out: Record<string, NatsConfValue> = {};
    for (;;) {
      const t = tokens[pos];
      if (!t) return end ? fail(`missing "${end}"`) : out;
      if (t.kind === end) {
        pos++;
        return out;
      }
      if (t.kind !== 'text') fail(`unexpected "${t.text}"`);
      pos++;
      if (tokens[pos]?.kind === ':') pos++;
      if (t.text in out) fail(`duplicate key "${t.text}"`);
      out[t.text] = value();
      if (tokens[pos]?.kind === ',') pos++;
    }
  };

  const list = (): NatsConfValue[] => {
    const out: NatsConfValue[] = [];
    for (;;) {
      const t = tokens[pos];
      if (!t) fail('missing "]"');
      if (t.kind === ']') {
        pos++;
        return out;
      }
      out.push(value());
      if (tokens[pos]?.kind === ',') pos++;
    }
  };

  const value = (): NatsConfValue => {
    const t = tokens[pos++];
    if (!t) return fail('missing value');
    if (t.kind === '{') return block('}');
    if (t.kind === '[') return list();
    if (t.kind !== 'text') return fail(`unexpected "${t.text}"`);
    if (!t.quoted && (t.text === 'true' || t.text === 'false')) return t.text === 'true';
    return t.text;
  };

  return block(undefined);
}
