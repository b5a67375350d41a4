/**
 * Turns the service's OpenAPI document (`GET /docs-json`) into the TypeScript types of the browser
 * client (`client/src/api-types.ts`). Small on purpose: it handles what the service's schemas use
 * (objects, arrays, enums, `nullable`, `$ref`, `oneOf`/`anyOf`, and the one-element `allOf` that
 * OpenAPI 3.0 needs for a nullable `$ref`) and fails loudly on anything else,
 * so a schema change can never be skipped silently.
 */

export interface SchemaObject {
  type?: string;
  enum?: unknown[];
  nullable?: boolean;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  items?: SchemaObject;
  $ref?: string;
  oneOf?: SchemaObject[];
  anyOf?: SchemaObject[];
  allOf?: SchemaObject[];
  description?: string;
  format?: string;
  additionalProperties?: boolean | SchemaObject;
}

interface Operation {
  requestBody?: { content?: Record<string, { schema?: SchemaObject }> };
  responses?: Record<string, { content?: Record<string, { schema?: SchemaObject }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, SchemaObject> };
}

/** The schemas the client uses, by their component name. Anything they reference comes along. */
export const CLIENT_SCHEMAS = [
  'Heartbeat',
  'HeartbeatBatch',
  'HeartbeatBeacon',
  'Accepted',
  'HistoryItem',
  'HistoryPage',
  'ContinueWatching',
  'UserStats',
  'CatalogEntry',
  'CatalogSearchResult',
];

/** The operations the client calls: their JSON answers become the `ApiResponses` map. */
export const CLIENT_OPERATIONS: [method: string, path: string][] = [
  ['post', '/v1/playtime'],
  ['post', '/v1/playtime/batch'],
  ['get', '/v1/history'],
  ['get', '/v1/history/continue-watching'],
  ['get', '/v1/history/{mediaType}/{mediaId}'],
  ['get', '/v1/stats/me'],
  ['get', '/v1/catalog'],
  ['get', '/v1/catalog/{mediaType}/{mediaId}'],
];

/** Request bodies the client sends, checked against the documented request schema. */
export const CLIENT_REQUESTS: [method: string, path: string, schema: string][] = [
  ['post', '/v1/playtime', 'Heartbeat'],
  ['post', '/v1/playtime/batch', 'HeartbeatBatch'],
  ['post', '/v1/playtime/beacon', 'HeartbeatBeacon'],
];

const HEADER = `// Generated from the service's OpenAPI document (GET /docs-json) by test/client/openapi-to-ts.ts.
// Do not edit by hand: test/client/api-types.spec.ts fails when this file and /docs-json disagree.
// Regenerate with: UPDATE_API_TYPES=1 npx jest test/client/api-types
`;

function refName(ref: string): string {
  const m = /^#\/components\/schemas\/(.+)$/.exec(ref);
  if (!m) throw new Error(`unsupported $ref ${ref}`);
  return m[1];
}

function comment(text: string | undefined, indent: string): string {
  if (!text) return '';
  return `${indent}/** ${text.replace(/\*\//g, '*\\/').replace(/\s*\n\s*/g, ' ')} */\n`;
}

function typeOf(schema: SchemaObject, indent: string, refs: Set<string>): string {
  let t: string;
  if (schema.$ref) {
    const name = refName(schema.$ref);
    refs.add(name);
    t = name;
  } else if (schema.allOf?.length === 1) {
    t = typeOf(schema.allOf[0], indent, refs);
  } else if (schema.oneOf || schema.anyOf) {
    const parts = (schema.oneOf ?? schema.anyOf)!.map((s) => typeOf(s, indent, refs));
    t = [...new Set(parts)].join(' | ');
  } else if (schema.enum) {
    t = schema.enum.map((v) => (typeof v === 'string' ? `'${v.replace(/'/g, "\\'")}'` : JSON.stringify(v))).join(' | ');
  } else {
    switch (schema.type) {
      case 'string':
        t = 'string';
        break;
      case 'integer':
      case 'number':
        t = 'number';
        break;
      case 'boolean':
        t = 'boolean';
        break;
      case 'null':
        t = 'null';
        break;
      case 'array': {
        if (!schema.items) throw new Error('array without items');
        const item = typeOf(schema.items, indent, refs);
        t = /^[\w.]+$/.test(item) ? `${item}[]` : `Array<${item}>`;
        break;
      }
      case 'object':
        t = objectType(schema, indent, refs);
        break;
      default:
        throw new Error(`unsupported schema: ${JSON.stringify(schema).slice(0, 200)}`);
    }
  }
  return schema.nullable && t !== 'null' ? `${t} | null` : t;
}

function objectType(schema: SchemaObject, indent: string, refs: Set<string>): string {
  const props = Object.entries(schema.properties ?? {});
  if (props.length === 0) return 'Record<string, unknown>';
  const required = new Set(schema.required ?? []);
  const inner = `${indent}  `;
  const lines = props.map(
    ([name, prop]) =>
      `${comment(prop.description, inner)}${inner}${/^[A-Za-z_$][\w$]*$/.test(name) ? name : `'${name}'`}${required.has(name) ? '' : '?'}: ${typeOf(prop, inner, refs)};`,
  );
  return `{\n${lines.join('\n')}\n${indent}}`;
}

function jsonSchemaOf(op: Operation | undefined, where: string): SchemaObject | null {
  if (!op) throw new Error(`${where} is not in the document`);
  const ok = Object.entries(op.responses ?? {}).find(([code]) => code.startsWith('2'));
  if (!ok) throw new Error(`${where} documents no 2xx answer`);
  return ok[1].content?.['application/json']?.schema ?? null;
}

/** The whole `client/src/api-types.ts`. Deterministic: same document, same text. */
export function generateClientTypes(doc: OpenApiDocument): string {
  const schemas = doc.components.schemas;
  const emitted = new Map<string, string>();
  const queue = [...CLIENT_SCHEMAS];
  while (queue.length) {
    const name = queue.shift()!;
    if (emitted.has(name)) continue;
    const schema = schemas[name];
    if (!schema) throw new Error(`schema ${name} is not in the document`);
    const refs = new Set<string>();
    const body = typeOf(schema, '', refs);
    const decl = body.startsWith('{') ? `export interface ${name} ${body}` : `export type ${name} = ${body};`;
    emitted.set(name, `${comment(schema.description, '')}${decl}\n`);
    queue.push(...refs);
  }

  for (const [method, path, name] of CLIENT_REQUESTS) {
    const op = doc.paths[path]?.[method];
    const content = op?.requestBody?.content ?? {};
    const refs = Object.values(content).map((c) => (c.schema?.$ref ? refName(c.schema.$ref) : null));
    if (!refs.includes(name)) throw new Error(`${method.toUpperCase()} ${path} no longer takes a ${name} body`);
  }

  const responses = CLIENT_OPERATIONS.map(([method, path]) => {
    const where = `${method.toUpperCase()} ${path}`;
    const schema = jsonSchemaOf(doc.paths[path]?.[method], where);
    const refs = new Set<string>();
    const t = schema ? typeOf(schema, '  ', refs) : 'void';
    for (const r of refs) if (!emitted.has(r)) throw new Error(`${where} answers ${r}, which the client does not know: add it to CLIENT_SCHEMAS`);
    return `  '${where}': ${t};`;
  });

  return [
    HEADER,
    ...[...emitted.keys()].sort().map((k) => emitted.get(k)!),
    '/** The JSON answer of each operation the client calls, by "METHOD /path" as documented. */',
    `export interface ApiResponses {\n${responses.join('\n')}\n}\n`,
  ].join('\n');
}
