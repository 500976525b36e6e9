/**
 * The Swagger 2.0 document (what Logic Apps and Power Automate import as a custom connector) is
 * generated from the same route schemas as the OpenAPI 3.1 one, but those are JSON Schema 2020-12
 * (TypeBox): unions (`anyOf`), `const`, type lists and `writeOnly` have no place in Swagger 2.0,
 * whose importers refuse or misread them. @fastify/swagger copies schemas as they are, so they
 * are rewritten here into what 2.0 can say:
 * - a union of constants becomes one `enum`;
 * - a union of objects (the connection types) becomes one object with every member's properties,
 *   requiring what all members require, and the members' descriptions in its own;
 * - `null` in a union or type list becomes `x-nullable` (the AutoRest extension importers read);
 * - other keywords 2.0 lacks are dropped (the 3.1 document keeps them).
 */
type Schema = Record<string, any>;

/** The Schema Object keys Swagger 2.0 defines; anything else must be an `x-` extension. */
const SCHEMA_KEYS = new Set([
  '$ref', 'format', 'title', 'description', 'default', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum',
  'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'maxProperties', 'minProperties', 'required', 'enum',
  'type', 'items', 'allOf', 'properties', 'additionalProperties', 'discriminator', 'readOnly', 'xml', 'externalDocs', 'example',
]);

const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

function union(members: Schema[], rest: Schema): Schema {
  const nullable = members.some((m) => m.type === 'null');
  const kept = members.filter((m) => m.type !== 'null');
  const extra: Schema = nullable ? { 'x-nullable': true } : {};
  if (kept.length === 1) return { ...kept[0], ...rest, ...extra };
  if (kept.every((m) => Array.isArray(m.enum) && Object.keys(m).every((k) => ['enum', 'type', 'description', 'title'].includes(k)))) {
    const types = new Set(kept.map((m) => m.type));
    return { ...(types.size === 1 && kept[0].type ? { type: kept[0].type } : {}), ...rest, enum: [...new Set(kept.flatMap((m) => m.enum))], ...extra };
  }
  if (kept.every((m) => m.type === 'object')) {
    const properties: Schema = {};
    for (const m of kept) for (const [name, p] of Object.entries(m.properties ?? {})) properties[name] ??= p;
    const required = kept.map((m) => new Set<string>(m.required ?? [])).reduce((a, b) => new Set([...a].filter((x) => b.has(x))));
    const variants = kept.map((m) => m.description ?? m.title).filter(Boolean);
    const description = [rest.description, ...(variants.length ? [`One of: ${variants.join(' | ')}`] : [])].filter(Boolean).join(' ');
    return { type: 'object', ...rest, ...(description ? { description } : {}), properties, ...(required.size ? { required: [...required] } : {}), ...extra };
  }
  // A union of unlike types: say nothing of the type rather than something wrong.
  return { ...rest, ...extra };
}

export function toSwagger2Schema(input: unknown): any {
  if (!isObject(input)) return input;
  let s: Schema = { ...input };
  if ('const' in s) {
    s.enum = [s.const];
    delete s.const;
  }
  if (Array.isArray(s.type)) {
    const types = s.type.filter((t: string) => t !== 'null');
    if (types.length < s.type.length) s['x-nullable'] = true;
    if (types.length === 1) s.type = types[0];
    else delete s.type;
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (!Array.isArray(s[key])) continue;
    const { [key]: members, ...rest } = s;
    s = union((members as unknown[]).map(toSwagger2Schema), rest);
  }
  if (isObject(s.properties)) s.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, toSwagger2Schema(v)]));
  if (isObject(s.items)) s.items = toSwagger2Schema(s.items);
  if (isObject(s.additionalProperties)) s.additionalProperties = toSwagger2Schema(s.additionalProperties);
  if (Array.isArray(s.allOf)) s.allOf = s.allOf.map(toSwagger2Schema);
  for (const [exclusive, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (typeof s[exclusive] === 'number') [s[bound], s[exclusive]] = [s[exclusive], true];
  }
  if (Array.isArray(s.examples) && s.example === undefined && s.examples.length > 0) s.example = s.examples[0];
  for (const key of Object.keys(s)) if (!SCHEMA_KEYS.has(key) && !key.startsWith('x-')) delete s[key];
  return s;
}

/** Non-body parameters are not schemas but share their type keywords, plus their own. */
const PARAMETER_KEYS = new Set(['name', 'in', 'description', 'required', 'type', 'format', 'items', 'collectionFormat', 'default', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'enum', 'multipleOf', 'allowEmptyValue']);

function toSwagger2Parameter(p: Schema): Schema {
  if (p.in === 'body') return { ...p, schema: toSwagger2Schema(p.schema) };
  const { name, in: where, required, ...schema } = p;
  const converted: Schema = { name, in: where, required, ...toSwagger2Schema(schema) };
  for (const key of Object.keys(converted)) if (!PARAMETER_KEYS.has(key) && !key.startsWith('x-')) delete converted[key];
  return converted;
}

export function toSwagger2(doc: Schema): Schema {
  const paths: Schema = {};
  for (const [route, item] of Object.entries<Schema>(doc.paths ?? {})) {
    paths[route] = Object.fromEntries(
      Object.entries<Schema>(item).map(([method, op]) => [
        method,
        {
          ...op,
          ...(Array.isArray(op.parameters) ? { parameters: op.parameters.map(toSwagger2Parameter) } : {}),
          ...(isObject(op.responses)
            ? { responses: Object.fromEntries(Object.entries<Schema>(op.responses).map(([code, r]) => [code, r.schema ? { ...r, schema: toSwagger2Schema(r.schema) } : r])) }
            : {}),
        },
      ]),
    );
  }
  const definitions = isObject(doc.definitions) ? Object.fromEntries(Object.entries(doc.definitions).map(([k, v]) => [k, toSwagger2Schema(v)])) : doc.definitions;
  return { ...doc, paths, ...(definitions ? { definitions } : {}) };
}
