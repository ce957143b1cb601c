import { GATE_KEY_PATTERN } from './gate-abi';

/**
 * The frozen event keys and topics as anchored regular expressions, written so that JavaScript and
 * Postgres (`~`) read them the same: the ABI policy lanes check code and databases against them.
 */
const G = GATE_KEY_PATTERN.source.replace(/^\^/, '').replace(/\$$/, '');
/** A system signal's name: `sys:gatehouse:gate-opened`. */
const K = '[a-z0-9][a-z0-9._:-]{0,127}';

export const EVENT_KEY_PATTERNS = {
  prompt: `^ui:${G}$`,
  result: `^ui:${G}:result$`,
  decision: `^decision:${G}$`,
  audit: `^ui:${G}:audit$`,
} as const;

export type EventKeyKind = keyof typeof EVENT_KEY_PATTERNS;

export const TOPIC_PATTERNS = {
  human: `^human:${G}$`,
  sys: `^sys:${K}$`,
} as const;

/** Which frozen key `key` is (`prompt`, `result`, `decision`, `audit`), or undefined for any other key. */
export function eventKeyKind(key: string): EventKeyKind | undefined {
  for (const [kind, pattern] of Object.entries(EVENT_KEY_PATTERNS)) {
    if (new RegExp(pattern).test(key)) return kind as EventKeyKind;
  }
  return undefined;
}
