import { readFileSync } from 'node:fs';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { parse as parseYaml } from 'yaml';
import { isRoleName } from '@gatehouse/contracts';
import { unauthenticated } from './authorization';
import type { Principal } from './principal';

/** Standard Webhooks headers a signed source sends. */
export const SIGNATURE_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

/** The Standard Webhooks tolerance (the `standardwebhooks` package enforces the same 5 minutes). */
export const SIGNATURE_TOLERANCE_S = 5 * 60;

const SOURCE_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** A Standard Webhooks secret: optional `whsec_` prefix, base64 of at least 24 bytes. */
const SECRET = /^(whsec_)?[A-Za-z0-9+/]+={0,2}$/;
const MIN_SECRET_BYTES = 24;
const MAX_SECRETS = 5;

/** One source of the external receiver: its id, its current secrets (several during rotation), its roles. */
export interface SignedSource {
  id: string;
  roles: string[];
  verifiers: Webhook[];
}

function secretProblem(secret: unknown): string | undefined {
  if (typeof secret !== 'string' || !SECRET.test(secret)) return 'must be a whsec_ base64 secret';
  const bytes = Buffer.from(secret.replace(/^whsec_/, ''), 'base64').length;
  return bytes < MIN_SECRET_BYTES ? `must hold at least ${MIN_SECRET_BYTES} random bytes` : undefined;
}

/** Parses and checks the sources file (YAML or JSON). Throws an Error whose message names the problem, never a secret. */
export function parseSignedSources(text: string): SignedSource[] {
  const doc = parseYaml(text) as unknown;
  const list = (doc as { sources?: unknown } | null)?.sources;
  if (!Array.isArray(list)) throw new Error('expected `sources:` with a list of {id, secrets, roles}');
  const seen = new Set<string>();
  return list.map((entry: unknown, i) => {
    const e = (entry ?? {}) as Record<string, unknown>;
    const where = `sources[${i}]`;
    const unknownField = Object.keys(e).find((k) => !['id', 'secret', 'secrets', 'roles'].includes(k));
    if (unknownField) throw new Error(`${where}: unknown field "${unknownField}"`);
    if (typeof e.id !== 'string' || !SOURCE_ID.test(e.id))
      throw new Error(`${where}.id must match ${SOURCE_ID.source}`);
    if (seen.has(e.id)) throw new Error(`${where}: source "${e.id}" is declared twice`);
    seen.add(e.id);
    const secrets = e.secrets ?? (e.secret === undefined ? undefined : [e.secret]);
    if (!Array.isArray(secrets) || secrets.length === 0 || secrets.length > MAX_SECRETS) {
      throw new Error(`${where}: give \`secrets\` (1 to ${MAX_SECRETS}, newest first) or \`secret\``);
    }
    secrets.forEach((s, n) => {
      const problem = secretProblem(s);
      if (problem) throw new Error(`${where}.secrets[${n}] ${problem}`);
    });
    const roles = e.roles ?? [];
    if (!Array.isArray(roles) || !roles.every(isRoleName))
      throw new Error(`${where}.roles must be a list of role names`);
    return {
      id: e.id,
      roles: [...new Set(roles as string[])],
      verifiers: secrets.map((s) => new Webhook(s as string)),
    };
  });
}

/** Why INGRESS_SOURCES_FILE cannot be used; undefined when it is empty or fine. */
export function signedSourcesFileProblem(path: unknown): string | undefined {
  if (path === '' || path === undefined) return undefined;
  if (typeof path !== 'string') return 'INGRESS_SOURCES_FILE must be a path';
  try {
    parseSignedSources(readFileSync(path, 'utf8'));
    return undefined;
  } catch (err) {
    return `INGRESS_SOURCES_FILE ${path}: ${(err as Error).message}`;
  }
}

/** What a signed request says about itself, before its body is read. */
export interface SignatureHeaders {
  id: string;
  timestamp: string;
  signature: string;
}

/**
 * The sources of the external receiver (DESIGN section 10): each signs its requests with Standard
 * Webhooks HMAC under its own secret; a verified source is a principal with the file's roles.
 */
export class SignedSources {
  private readonly byId: Map<string, SignedSource>;

  constructor(sources: SignedSource[]) {
    this.byId = new Map(sources.map((s) => [s.id, s]));
  }

  static load(path: string): SignedSources {
    return new SignedSources(path ? parseSignedSources(readFileSync(path, 'utf8')) : []);
  }

  /**
   * The checks that need no body: the source is declared, the headers are present and the timestamp
   * is within the tolerance. Throws UNAUTHENTICATED.
   */
  precheck(sourceId: string | undefined, headers: Partial<SignatureHeaders>, nowMs = Date.now()): SignedSource {
    const source = sourceId === undefined ? undefined : this.byId.get(sourceId);
    if (!source) throw unauthenticated('unknown signed source: name a declared source with ?source=<id>');
    if (!headers.id || !headers.timestamp || !headers.signature) {
      throw unauthenticated('a signed request needs webhook-id, webhook-timestamp and webhook-signature');
    }
    const ts = /^\d{1,12}$/.test(headers.timestamp) ? Number(headers.timestamp) : NaN;
    if (!Number.isFinite(ts) || Math.abs(nowMs / 1000 - ts) > SIGNATURE_TOLERANCE_S) {
      throw unauthenticated('webhook-timestamp is not within 5 minutes of now');
    }
    return source;
  }

  /** Verifies the HMAC over the raw body with each of the source's secrets; the source's principal, or UNAUTHENTICATED. */
  verify(source: SignedSource, rawBody: string, headers: SignatureHeaders): Principal {
    const signed = {
      [SIGNATURE_HEADERS.id]: headers.id,
      [SIGNATURE_HEADERS.timestamp]: headers.timestamp,
      [SIGNATURE_HEADERS.signature]: headers.signature,
    };
    for (const verifier of source.verifiers) {
      try {
        verifier.verify(rawBody, signed, { jsonParse: false });
        return { id: `source:${source.id}`, kind: 'source', name: source.id, roles: source.roles };
      } catch (err) {
        if (!(err instanceof WebhookVerificationError)) throw unauthenticated('the webhook signature does not verify');
      }
    }
    throw unauthenticated('the webhook signature does not verify');
  }
}
