import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

interface Operation {
  responses: Record<string, { content?: Record<string, unknown> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

const DOC_ID = 'gateway-openapi.json';
const pointer = (...segments: string[]) =>
  segments.map((s) => `/${encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))}`).join('');

/**
 * Holds the gateway to its own OpenAPI document: every answer must be a status the operation lists,
 * with a body its schema accepts (an error's code among those listed for that status). An answer
 * for no documented operation must be an error body. Used by the e2e client on every request.
 */
export class OpenApiCheck {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly routes: Array<{ template: string; pattern: RegExp; params: number }>;

  constructor(private readonly doc: Document) {
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: DOC_ID, paths: doc.paths, components: doc.components });
    this.routes = Object.keys(doc.paths)
      .map((template) => ({
        template,
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
        params: (template.match(/\{/g) ?? []).length,
      }))
      // A literal segment wins over a parameter: /api/runs/x/gates before /api/runs/{wid}.
      .sort((a, b) => a.params - b.params);
  }

  static async load(baseUrl: string): Promise<OpenApiCheck> {
    const res = await fetch(`${baseUrl}/docs-json`);
    if (res.status !== 200) throw new Error(`GET /docs-json answered ${res.status}`);
    return new OpenApiCheck((await res.json()) as Document);
  }

  /** Throws when the answer is not one the document describes. */
  check(method: string, url: string, status: number, contentType: string | null, body: unknown): void {
    // The path as fetch sent it: dot segments resolved (`/gates/./reply` is `/gates/reply`).
    const path = new URL(url, 'http://gateway').pathname;
    const route = this.routes.find((r) => r.pattern.test(path) && this.doc.paths[r.template][method.toLowerCase()]);
    const where = `${method} ${path} → ${status}`;
    if (!route) {
      if (status < 400) throw new Error(`${where}: answered ${status} for an undocumented operation`);
      return this.validate(`${DOC_ID}#${pointer('components', 'schemas', 'ErrorBody')}`, body, where);
    }
    const op = this.doc.paths[route.template][method.toLowerCase()];
    const answer = op.responses[String(status)];
    if (!answer) {
      throw new Error(
        `${where}: status not documented (documented: ${Object.keys(op.responses).join(', ')}); body ${JSON.stringify(body)}`,
      );
    }
    const media = (contentType ?? '').split(';')[0].trim();
    if (!answer.content?.[media]) {
      throw new Error(`${where}: content type ${media || '(none)'} not documented`);
    }
    if (media !== 'application/json') return;
    const ref = `${DOC_ID}#${pointer('paths', route.template, method.toLowerCase(), 'responses', String(status), 'content', media, 'schema')}`;
    this.validate(ref, body, where);
  }

  private validate(ref: string, body: unknown, where: string): void {
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, validate);
    }
    if (!validate(body)) {
      throw new Error(
        `${where}: body does not match the document: ${this.ajv.errorsText(validate.errors)}; body ${JSON.stringify(body)}`,
      );
    }
  }
}
