import type { OpenAPIObject } from '@nestjs/swagger';
import type {
  OperationObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { CUSTOM_EVENT_PATTERN, KNOWN_EVENT_TYPES } from '@auren/contracts';

/**
 * What `/docs-json` must say that the Nest decorators cannot, so that the document matches the
 * validator (CONTRACT §1/§2) and a generator such as schemathesis can trust it
 * (docs/testing.md, test/e2e/openapi-schemathesis.e2e.ts):
 *
 * - null is accepted, as absent, for every optional field of an event: `nullable: true`;
 *   nullable references are inlined (an `allOf` beside `nullable` still refuses null);
 * - `event_type` is a known type or `custom.<name>` (a pattern, not the literal `custom.<name>`);
 * - counts are integers;
 * - credentials: required in production; optional in development, where anonymous requests
 *   are let in (`security: [{bearer: []}, {}]`);
 * - every status an ingest route can answer, with the contract's error body (JSON, also on the
 *   OTLP route) and `Retry-After` on 429/503. (405, for a method a path does not serve, has no
 *   operation to be declared on; docs/contract.md says it.)
 */
export function completeIngestDocument(
  document: OpenAPIObject,
  options: { production: boolean },
): OpenAPIObject {
  const schemas = (document.components?.schemas ?? {}) as Record<string, SchemaObject>;
  for (const name of ['AgentEventDto', 'AgentRefDto', 'PerformanceMetricsDto']) {
    const schema = schemas[name];
    if (schema) nullableOptionals(schema, schemas);
  }
  const event = schemas.AgentEventDto;
  if (event?.properties) {
    const current = event.properties.event_type as SchemaObject;
    event.properties.event_type = {
      description: current.description,
      example: current.example as unknown,
      anyOf: [
        { type: 'string', enum: [...KNOWN_EVENT_TYPES] },
        { type: 'string', pattern: CUSTOM_EVENT_PATTERN.source },
      ],
    };
  }
  integer(schemas.FieldErrorDto, 'index', { minimum: 0 });
  integer(schemas.ErrorBodyDto, 'statusCode', { minimum: 400, maximum: 599 });
  integer(schemas.EventAcceptedDto, 'accepted', { minimum: 0, maximum: 1 });
  integer(schemas.BatchAcceptedDto, 'accepted', { minimum: 0 });

  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as OperationObject[]) {
      if (!operation || typeof operation !== 'object' || !operation.responses) continue;
      if (!operation.security) continue; // health: open
      operation.security = options.production ? [{ bearer: [] }] : [{ bearer: [] }, {}];
      declareErrorResponses(operation);
    }
  }
  document.info.description = `${document.info.description ?? ''} ${
    options.production
      ? 'Production mode: every ingest route needs `Authorization: Bearer <API key or JWT>`.'
      : 'Development mode: anonymous requests and `test*` keys are let in (security is optional).'
  }`.trim();
  return document;
}

function integer(
  schema: SchemaObject | undefined,
  property: string,
  bounds: { minimum?: number; maximum?: number },
): void {
  const target = schema?.properties?.[property] as SchemaObject | undefined;
  if (!target) return;
  target.type = 'integer';
  Object.assign(target, bounds);
}

function isReference(value: unknown): value is ReferenceObject {
  return typeof value === 'object' && value !== null && '$ref' in value;
}

/** Optional properties accept null; a nullable reference becomes the referenced schema inline. */
function nullableOptionals(schema: SchemaObject, schemas: Record<string, SchemaObject>): void {
  const required = new Set(schema.required ?? []);
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if (required.has(name)) continue;
    let target: SchemaObject | ReferenceObject = property;
    const wrapped = !isReference(target) && target.allOf?.length === 1 ? target.allOf[0] : target;
    if (isReference(wrapped)) {
      const referenced = schemas[wrapped.$ref.split('/').pop() as string];
      const description = isReference(target) ? undefined : target.description;
      target = structuredClone(referenced);
      if (description) target.description = description;
      nullableOptionals(target, schemas);
    }
    (target as SchemaObject).nullable = true;
    delete (target as SchemaObject).allOf;
    schema.properties![name] = target;
  }
}

const ERROR_BODY = { $ref: '#/components/schemas/ErrorBodyDto' };
const RETRY_AFTER = {
  description: 'Seconds to wait before retrying',
  schema: { type: 'integer', minimum: 0 },
};

const ERRORS: Record<string, string> = {
  '400':
    'Malformed JSON, an invalid event (details name each field), or a "__proto__" / "constructor.prototype" key',
  '401': 'Missing or refused credential',
  '413': 'Body over 1 MiB',
  '415': 'Body is not application/json (form, text and other types are refused)',
  '429': 'Over the rate limit of this credential; nothing accepted; see Retry-After',
  '503': 'Stream backend down; nothing accepted; see Retry-After',
};

function declareErrorResponses(operation: OperationObject): void {
  // The error body is always JSON, whatever the route consumes (OTLP takes protobuf too).
  const content = { 'application/json': { schema: ERROR_BODY } };
  for (const [status, description] of Object.entries(ERRORS)) {
    const existing = operation.responses[status] as ResponseObject | undefined;
    const response: ResponseObject = {
      description: existing?.description ?? description,
      content,
    };
    if (status === '429' || status === '503') response.headers = { 'Retry-After': RETRY_AFTER };
    operation.responses[status] = response;
  }
}
