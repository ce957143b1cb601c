/** `label  value` lines, labels aligned: how a single object reads for people. */
export function fieldLines(fields: Array<[string, string | undefined | null]>): string[] {
  const shown = fields.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== null && f[1] !== '');
  const w = Math.max(...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
}
