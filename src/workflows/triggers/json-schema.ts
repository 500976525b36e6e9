/**
 * The subset of JSON Schema that Logic Apps' Request trigger schemas use ("Use sample payload to
 * generate schema" writes type, properties, required, items). Hand-written because the project's
 * dependencies have no general validator we may import directly; unknown keywords are ignored,
 * as a permissive validator would.
 */
export interface SchemaProblem {
  path: string;
  message: string;
}

type Schema = Record<string, any>;

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  if (type === 'number') return actual === 'number' || actual === 'integer';
  return actual === type;
}

export function validateJsonSchema(schema: unknown, value: unknown, path = 'body', problems: SchemaProblem[] = []): SchemaProblem[] {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return problems;
  const s = schema as Schema;
  if (s.type !== undefined) {
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.some((t) => matchesType(value, t))) {
      problems.push({ path, message: `must be of type ${types.join(' or ')}, not ${typeOf(value)}` });
      return problems;
    }
  }
  if (s.enum !== undefined && Array.isArray(s.enum) && !s.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(value))) {
    problems.push({ path, message: `must be one of ${s.enum.map((e: unknown) => JSON.stringify(e)).join(', ')}` });
  }
  if (s.const !== undefined && JSON.stringify(s.const) !== JSON.stringify(value)) problems.push({ path, message: `must be ${JSON.stringify(s.const)}` });
  if (typeof value === 'string') {
    if (typeof s.minLength === 'number' && [...value].length < s.minLength) problems.push({ path, message: `must have at least ${s.minLength} characters` });
    if (typeof s.maxLength === 'number' && [...value].length > s.maxLength) problems.push({ path, message: `must have at most ${s.maxLength} characters` });
    if (typeof s.pattern === 'string') {
      try {
        if (!new RegExp(s.pattern, 'u').test(value)) problems.push({ path, message: `must match the pattern ${s.pattern}` });
      } catch {
        /* an invalid pattern in the schema is the author's to fix; it does not reject callers */
      }
    }
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) problems.push({ path, message: `must be at least ${s.minimum}` });
    if (typeof s.maximum === 'number' && value > s.maximum) problems.push({ path, message: `must be at most ${s.maximum}` });
  }
  if (Array.isArray(value)) {
    if (typeof s.minItems === 'number' && value.length < s.minItems) problems.push({ path, message: `must have at least ${s.minItems} items` });
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) problems.push({ path, message: `must have at most ${s.maxItems} items` });
    if (typeof s.items === 'object' && s.items !== null && !Array.isArray(s.items)) value.forEach((item, i) => validateJsonSchema(s.items, item, `${path}[${i}]`, problems));
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const props: Schema = typeof s.properties === 'object' && s.properties !== null ? s.properties : {};
    if (Array.isArray(s.required)) {
      for (const name of s.required) if (!(name in obj)) problems.push({ path: `${path}.${name}`, message: 'is required' });
    }
    for (const [name, sub] of Object.entries(props)) if (name in obj) validateJsonSchema(sub, obj[name], `${path}.${name}`, problems);
    if (s.additionalProperties === false) {
      for (const name of Object.keys(obj)) if (!(name in props)) problems.push({ path: `${path}.${name}`, message: 'is not allowed by the schema' });
    } else if (typeof s.additionalProperties === 'object' && s.additionalProperties !== null) {
      for (const name of Object.keys(obj)) if (!(name in props)) validateJsonSchema(s.additionalProperties, obj[name], `${path}.${name}`, problems);
    }
  }
  for (const keyword of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (!Array.isArray(s[keyword])) continue;
    const results = (s[keyword] as unknown[]).map((sub) => validateJsonSchema(sub, value, path, []));
    const passing = results.filter((r) => r.length === 0).length;
    if (keyword === 'allOf') results.forEach((r) => problems.push(...r));
    else if (keyword === 'anyOf' && passing === 0) problems.push({ path, message: 'matches none of the allowed shapes (anyOf)' });
    else if (keyword === 'oneOf' && passing !== 1) problems.push({ path, message: `must match exactly one allowed shape (oneOf), matches ${passing}` });
  }
  return problems;
}
