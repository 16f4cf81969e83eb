import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { Problems, pointer } from './errors.js';
import type { SpecFolder } from './load.js';
import { SHIPPED_SPEC } from './version.js';

export const SCHEMA_FILE = 'uverbs-spec.schema.json';
const schemaPath = join(SHIPPED_SPEC, 'schema', SCHEMA_FILE);

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv2020({ allErrors: true, discriminator: true, strict: true, strictRequired: false });
    compiled = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);
  }
  return compiled;
}

/** Validates every file against the JSON Schema; reports each violation at its JSON pointer. */
export function validateFolders(folders: readonly SpecFolder[], problems: Problems): void {
  const validate = validator();
  for (const folder of folders) {
    for (const file of folder.files) {
      if (!validate(file.json)) {
        for (const err of simplify(validate.errors ?? [])) {
          const [message, hint] = describe(err);
          problems.add(file.path, err.instancePath, message, hint);
        }
        continue;
      }
      const declared = (file.json as { $schema: string }).$schema;
      if (!declared.endsWith(`schema/${SCHEMA_FILE}`)) {
        problems.add(file.path, pointer('', '$schema'), `names "${declared}", not the uverbs-abi schema`,
          `set "$schema" to the relative path of spec/schema/${SCHEMA_FILE} (from spec/<driver>/: "../schema/${SCHEMA_FILE}")`);
      }
    }
  }
}

/**
 * With allErrors, a discriminated oneOf still reports the failing branch's errors and
 * then "must match exactly one schema"; keep the specific ones, and one error per place.
 */
function simplify(errors: readonly ErrorObject[]): ErrorObject[] {
  const specific = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'if');
  const kept = specific.length > 0 ? specific : [...errors];
  const seen = new Set<string>();
  return kept.filter((e) => {
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describe(e: ErrorObject): [string, string] {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return [`is missing the required property "${String(p.missingProperty)}"`, `add "${String(p.missingProperty)}" (see the schema's description of it)`];
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const prop = String(p.additionalProperty ?? p.unevaluatedProperty);
      return [`has an unknown property "${prop}"`, `remove "${prop}" or correct its spelling; the schema lists the allowed properties`];
    }
    case 'enum':
      return [`must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`, 'use one of the listed values'];
    case 'const':
      return [`must be ${JSON.stringify(p.allowedValue)}`, 'use that value'];
    case 'pattern':
      return [`does not match the pattern ${String(p.pattern)}`, 'follow the naming rule in the schema (e.g. UPPER_CASE type names, snake_case attribute names)'];
    case 'type':
      return [`must be of type ${String(p.type)}`, `give a ${String(p.type)}`];
    case 'minimum':
    case 'maximum':
      return [`must be ${e.keyword === 'minimum' ? '>=' : '<='} ${String(p.limit)}`, 'use a value in range'];
    case 'minLength':
      return ['must not be empty', 'write the text'];
    case 'minItems':
      return [`must have at least ${String(p.limit)} item(s)`, 'add the missing items'];
    case 'minProperties':
      return ['declares nothing', 'add a driver, types, typeExtensions, structs, enums or writeCommands section'];
    case 'uniqueItems':
      return [`has a repeated item (items ${String(p.j)} and ${String(p.i)})`, 'list each item once'];
    case 'discriminator':
      return [`"kind" must be one of the attribute kinds: ${String(e.message)}`, 'use ptr_in, ptr_out, const_in, flags_in, enum_in, idr, fd, raw_fd, idrs_array or uhw'];
    default:
      return [e.message ?? e.keyword, 'see the schema at spec/schema/' + SCHEMA_FILE];
  }
}
