import type { OpenApiDocument } from '@license-contacts/core/http';
import { createOpenApiDocument } from '@license-contacts/core/http';
import type { ValidateFunction } from 'ajv/dist/2020';
import { Ajv2020 } from 'ajv/dist/2020';

/** One answer of the handler, as a test saw it. */
export interface SeenAnswer {
  method: string;
  /** The request target: path and query, e.g. `/api/licenses?limit=2`. */
  target: string;
  status: number;
  /** The `Content-Type` header, if any. */
  contentType: string | null | undefined;
  /** The body as text; `''` when there was none. */
  body: string;
}

/** Checks an answer against the OpenAPI document; returns what differs (empty when it conforms). */
export type AnswerCheck = (answer: SeenAnswer) => string[];

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

const ID = 'urn:license-contacts:openapi:';

/**
 * A checker of answers against an OpenAPI 3.1 document (default: the handler's own, mounted at
 * `/api`): the status must be one the operation declares, the media type the declared one, and the
 * body valid against the declared schema. Requests that match no operation must answer a problem.
 */
export function createAnswerCheck(document: OpenApiDocument = createOpenApiDocument()): AnswerCheck {
  // Component references become absolute ids, so each schema compiles on its own.
  const doc = JSON.parse(JSON.stringify(document).replaceAll('"#/components/schemas/', `"${ID}`)) as {
    servers: { url: string }[];
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, object> };
  };
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    ajv.addSchema({ ...schema, $id: `${ID}${name}` });
  }
  const compiled = new Map<object, ValidateFunction>();
  const validator = (schema: object) => {
    let validate = compiled.get(schema);
    if (!validate) {
      validate = ajv.compile(schema);
      compiled.set(schema, validate);
    }
    return validate;
  };
  const problem = validator({ $ref: `${ID}Problem` });
  const base = (doc.servers[0]?.url ?? '/').replace(/\/+$/, '');
  const templates = Object.keys(doc.paths).map((template) => ({
    template,
    segments: template.split('/').slice(1),
  }));

  /** The document's path of a request path: the template matching it with the most literal segments. */
  function pathOf(pathname: string): string | undefined {
    if (pathname !== base && !pathname.startsWith(`${base}/`)) return undefined;
    const segments = pathname.slice(base.length).split('/').slice(1);
    let best: { template: string; literals: number } | undefined;
    for (const { template, segments: parts } of templates) {
      if (parts.length !== segments.length) continue;
      let literals = 0;
      const fits = parts.every((part, i) => {
        if (part.startsWith('{')) return true;
        literals += 1;
        return part === segments[i];
      });
      if (fits && (!best || literals > best.literals)) best = { template, literals };
    }
    return best?.template;
  }

  function checkJson(validate: ValidateFunction, body: string, where: string): string[] {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      return [`${where}: the body is not JSON: ${body.slice(0, 200)}`];
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (error) =>
        `${where}: ${error.instancePath || '(body)'} ${error.message} ${JSON.stringify(error.params)}`,
    );
  }

  return (answer) => {
    const method = answer.method.toUpperCase();
    // A preflight is answered by every route and is no operation of the document.
    if (method === 'OPTIONS') return [];
    const pathname = new URL(answer.target, 'http://any.test').pathname;
    const where = `${method} ${answer.target} answered ${answer.status}`;
    const mediaType = (answer.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const head = method === 'HEAD';
    const asProblem = (allowed: number[]): string[] => {
      if (!allowed.includes(answer.status)) return [`${where}, which the document allows only as ${allowed}`];
      if (head) return answer.body === '' ? [] : [`${where} with a body to HEAD`];
      if (mediaType !== 'application/problem+json') return [`${where} as ${mediaType}, not a problem`];
      return checkJson(problem, answer.body, where);
    };

    const template = pathOf(pathname);
    // Not a route: malformed before routing (400) or no such route (404).
    if (template === undefined) return asProblem([400, 404]);
    const operation = doc.paths[template]?.[head ? 'get' : method.toLowerCase()];
    if (!operation) return asProblem([400, 405]);

    const declared = operation.responses[String(answer.status)];
    if (!declared) {
      return [`${where}, a status the document does not declare for ${method} ${template}`];
    }
    const content = declared.content;
    if (head || content === undefined) {
      return answer.body === '' ? [] : [`${where} with a body the document does not declare`];
    }
    const media = content[mediaType];
    if (!media) return [`${where} as "${mediaType}", not ${Object.keys(content).join(' or ')}`];
    return checkJson(validator(media.schema as object), answer.body, where);
  };
}

let shared: AnswerCheck | undefined;

/** Throws when an answer of the handler mounted at `/api` does not conform to its OpenAPI document. */
export function expectConforming(answer: SeenAnswer): void {
  shared ??= createAnswerCheck();
  const problems = shared(answer);
  if (problems.length > 0) {
    throw new Error(`The answer does not conform to openapi.json:\n${problems.join('\n')}\n${answer.body}`);
  }
}
