/**
 * JSON Schema → Gemini's `Schema`, "a select subset of an OpenAPI 3.0 schema object"
 * (ai.google.dev/api/caching#Schema). Gemini answers 400 to keywords outside the subset
 * (`additionalProperties`, `$schema`, `$defs`, `const` …), so they are translated where there is
 * an equivalent and dropped where they only constrain: local `$ref`s are inlined (a recursive
 * schema cannot be, and is refused), `allOf` is merged, `oneOf` becomes `anyOf`, `const` a
 * one-value `enum`, a `type` array with `"null"` becomes `nullable`, a numeric `enum` moves to the
 * description (Gemini's enums are string lists), empty `properties` are left out (Gemini refuses
 * them), `required` keeps only declared properties, and `format` keeps only the values Gemini
 * accepts for the type.
 */
import type { Provider } from '../types.js';
import { refuse } from './surface.js';
import { isRecord } from './util.js';

type Schema = Record<string, unknown>;

const KEEP = new Set([
  'type', 'format', 'title', 'description', 'nullable', 'enum', 'items', 'properties', 'required', 'minItems', 'maxItems',
  'minProperties', 'maxProperties', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'anyOf', 'propertyOrdering',
  'default', 'example',
]);

/** The `format` values Gemini accepts per type; any other is a 400 ("only 'enum' and 'date-time' are supported for STRING type"). */
const FORMATS: Record<string, ReadonlySet<string>> = {
  string: new Set(['enum', 'date-time']),
  number: new Set(['float', 'double']),
  integer: new Set(['int32', 'int64']),
};

const P: Provider = 'gemini';

function resolveRef(root: Schema, ref: string, field: string): Schema {
  if (!ref.startsWith('#')) throw refuse(P, field, `only local $refs can be inlined, got ${JSON.stringify(ref)}`);
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter((s) => s !== '')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = isRecord(node) ? node[key] : undefined;
  }
  if (!isRecord(node)) throw refuse(P, field, `$ref ${JSON.stringify(ref)} points at nothing`);
  return node;
}

function merge(into: Schema, from: Schema): void {
  for (const [k, v] of Object.entries(from)) {
    if (k === 'properties' && isRecord(v)) into.properties = { ...(v as Schema), ...(isRecord(into.properties) ? into.properties : {}) };
    else if (k === 'required' && Array.isArray(v)) into.required = [...new Set([...(Array.isArray(into.required) ? into.required : []), ...v])];
    else if (!(k in into)) into[k] = v;
  }
}

function clean(node: unknown, root: Schema, field: string, refs: readonly string[]): Schema {
  if (!isRecord(node)) return {};
  let s: Schema = node;
  if (typeof s.$ref === 'string') {
    const ref = s.$ref;
    if (refs.includes(ref)) throw refuse(P, field, `the schema is recursive through ${JSON.stringify(ref)}, which Gemini's schemas cannot express`);
    const { $ref: _, ...siblings } = s;
    return clean({ ...resolveRef(root, ref, field), ...siblings }, root, field, [...refs, ref]);
  }
  if (Array.isArray(s.allOf)) {
    const { allOf, ...own } = s;
    s = own;
    for (const sub of allOf) merge(s, clean(sub, root, field, refs));
  }
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) if (KEEP.has(k)) out[k] = v;
  if (Array.isArray(s.oneOf) && out.anyOf === undefined) out.anyOf = s.oneOf;
  if (s.const !== undefined && out.enum === undefined) out.enum = [s.const];

  if (Array.isArray(out.type)) {
    const types = out.type.filter((t) => t !== 'null');
    if (types.length < out.type.length) out.nullable = true;
    if (types.length === 1) out.type = types[0];
    else {
      delete out.type;
      if (types.length > 1 && out.anyOf === undefined) out.anyOf = types.map((t) => ({ type: t }));
    }
  }
  if (Array.isArray(out.enum)) {
    if (out.enum.includes(null)) out.nullable = true;
    const values = out.enum.filter((v) => v !== null);
    if (typeof out.type === 'string' && out.type.toLowerCase() !== 'string') {
      // Gemini's enums are string lists: a numeric enum would change the arguments' type, so the
      // values move to the description instead.
      delete out.enum;
      const note = `One of: ${values.map((v) => JSON.stringify(v)).join(', ')}.`;
      out.description = typeof out.description === 'string' ? `${out.description} ${note}` : note;
    } else {
      out.enum = values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
      out.type ??= 'string';
    }
  }
  if (typeof out.format === 'string') {
    const allowed = typeof out.type === 'string' && Object.hasOwn(FORMATS, out.type.toLowerCase()) ? FORMATS[out.type.toLowerCase()] : undefined;
    if (!allowed?.has(out.format)) delete out.format;
  }
  if (out.items !== undefined) {
    if (Array.isArray(out.items)) throw refuse(P, field, 'tuple schemas (items as an array) have no Gemini equivalent');
    out.items = clean(out.items, root, field, refs);
  }
  if (Array.isArray(out.anyOf)) out.anyOf = out.anyOf.map((sub) => clean(sub, root, field, refs));
  if (isRecord(out.properties)) {
    const props: Schema = {};
    for (const [name, sub] of Object.entries(out.properties)) props[name] = clean(sub, root, field, refs);
    if (Object.keys(props).length > 0) out.properties = props;
    else delete out.properties;
  }
  if (Array.isArray(out.required)) {
    const props = isRecord(out.properties) ? out.properties : {};
    const required = out.required.filter((r) => typeof r === 'string' && r in props);
    if (required.length > 0) out.required = required;
    else delete out.required;
  }
  if (Array.isArray(out.propertyOrdering)) {
    const props = isRecord(out.properties) ? out.properties : {};
    out.propertyOrdering = out.propertyOrdering.filter((r) => typeof r === 'string' && r in props);
  }
  return out;
}

/** `schema` in Gemini's subset; `field` names it in a `ConfigError` when it cannot be expressed. */
export function geminiSchema(schema: Record<string, unknown>, field: string): Record<string, unknown> {
  return clean(schema, schema, field, []);
}
