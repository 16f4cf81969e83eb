/** Small helpers for printing TypeScript safely. */

/** A TSDoc comment; the text cannot close the comment early. */
export function docComment(text: string, indent = ''): string {
  const lines = text.replace(/\*\//g, '*\\/').trim().split('\n');
  if (lines.length === 1) return `${indent}/** ${lines[0]} */`;
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`.trimEnd()).join('\n')}\n${indent} */`;
}

const RESERVED = new Set(
  ('break case catch class const continue debugger default delete do else enum export extends false finally for function if import in ' +
    'instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface ' +
    'package private protected public await').split(' '),
);

/** Checks that a generated identifier is a plain, non-reserved JavaScript identifier. */
export function ident(name: string): string {
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) || RESERVED.has(name)) throw new Error(`internal: "${name}" is not a safe identifier`);
  return name;
}

/** A value printed as a literal: integers beyond 2^53 as bigint. */
export function literal(n: bigint): string {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= -BigInt(Number.MAX_SAFE_INTEGER) ? n.toString() : `${n.toString()}n`;
}

/**
 * Re-indents generated code by its bracket depth (two spaces a level), ignoring
 * brackets inside strings, template literals and comments.
 */
export function indent(code: string): string {
  let depth = 0;
  let inBlockComment = false;
  const out: string[] = [];
  for (const raw of code.split('\n')) {
    const line = raw.trim();
    if (line === '') {
      out.push('');
      continue;
    }
    if (inBlockComment || line.startsWith('/*') || line.startsWith('*')) {
      out.push('  '.repeat(depth) + (line.startsWith('*') ? ' ' : '') + line);
      inBlockComment = !line.includes('*/') && (inBlockComment || line.startsWith('/*'));
      continue;
    }
    const code = stripLiterals(line);
    const lead = /^[}\])]+/.exec(code)?.[0].length ?? 0;
    out.push('  '.repeat(Math.max(0, depth - lead)) + line);
    for (const ch of code) {
      if (ch === '{' || ch === '[' || ch === '(') depth++;
      else if (ch === '}' || ch === ']' || ch === ')') depth--;
    }
    depth = Math.max(0, depth);
  }
  return out.join('\n');
}

/** The line with string contents and a trailing line comment removed. */
function stripLiterals(line: string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === '`') quote = ch;
    else if (ch === '/' && line[i + 1] === '/') break;
    else out += ch;
  }
  return out;
}

/** The one module generated code imports the runtime from (the package's codegen entry point). */
export const CODEGEN_MODULE = 'uverbs-abi/codegen';

/** The import of `names` (a `type ` prefix marks a type) from the codegen entry point; empty when none is used. */
export function codegenImport(names: readonly string[]): string {
  const values = names.filter((n) => !n.startsWith('type ')).sort();
  const types = names.filter((n) => n.startsWith('type ')).sort();
  return names.length ? `import { ${[...values, ...types].join(', ')} } from '${CODEGEN_MODULE}';` : '';
}
