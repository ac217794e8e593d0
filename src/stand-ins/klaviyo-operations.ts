import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => void;
const STABLE = new URL('../../contracts/klaviyo/stable.json', import.meta.url);

interface Operation {
  operationId?: string;
  requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> };
}
interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

let ajv: Ajv | undefined;
let spec: Spec | undefined;
const compiled = new Map<string, ValidateFunction>();

/**
 * The validator of one operation's request body, from `contracts/klaviyo/stable.json`, compiled on first
 * use. Unknown attributes are refused (every object schema that lists its properties is closed).
 * `oneOf` is read as `anyOf`: the spec's `oneOf: [integer, number]` would otherwise refuse every
 * integer, and its other `oneOf`s are told apart by a `type` enum, so nothing the spec refuses passes.
 */
export function requestValidator(operationId: string): ValidateFunction {
  const known = compiled.get(operationId);
  if (known) return known;
  spec ??= JSON.parse(readFileSync(STABLE, 'utf8')) as Spec;
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: false });
    addFormats(ajv);
    ajv.addSchema({
      $id: 'stable',
      components: {
        schemas: Object.fromEntries(Object.entries(spec.components.schemas).map(([n, s]) => [n, closed(s)])),
      },
    });
  }
  for (const item of Object.values(spec.paths))
    for (const op of Object.values(item)) {
      if (op.operationId !== operationId) continue;
      const ref = Object.values(op.requestBody?.content ?? {})[0]?.schema?.$ref;
      if (!ref) break;
      const validate = ajv.getSchema(`stable${ref}`);
      if (!validate) break;
      compiled.set(operationId, validate);
      return validate;
    }
  throw new Error(`operation ${operationId} has no request schema in contracts/klaviyo/stable.json`);
}

/** Klaviyo's wording for the first thing the schema refused. */
export function describeSchemaError(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties')
    return `'${(error.params as { additionalProperty: string }).additionalProperty}' is not a valid field for this resource.`;
  if (error.keyword === 'required')
    return `'${(error.params as { missingProperty: string }).missingProperty}' is a required field for the resource.`;
  return `${error.instancePath || '/'} ${error.message ?? 'is invalid'}.`;
}

function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== 'object') return schema;
  const copy: Record<string, unknown> = {};
  for (const [keyword, value] of Object.entries(schema as Record<string, unknown>)) {
    if (keyword === 'description' || keyword === 'example') continue;
    if (keyword === 'properties' && value && typeof value === 'object')
      copy[keyword] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([name, s]) => [name, closed(s)]),
      );
    else if (keyword === 'oneOf') copy.anyOf = closed(value);
    else if (['items', 'allOf', 'anyOf'].includes(keyword)) copy[keyword] = closed(value);
    else copy[keyword] = value;
  }
  if (copy.type === 'object' && copy.properties && copy.additionalProperties === undefined)
    copy.additionalProperties = false;
  if (copy.nullable === true) {
    const { nullable: _n, ...rest } = copy;
    if (typeof rest.type === 'string') return { ...rest, type: [rest.type, 'null'] };
    return { anyOf: [rest, { type: 'null' }] };
  }
  return copy;
}
