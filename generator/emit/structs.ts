/**
 * Struct codecs: for each C struct an interface (decoded), an Init type (input: every
 * field optional, zero by default, 64-bit fields as number or bigint), its size, and
 * an encoder and decoder at an offset of a DataView. Padding the C compiler inserts is
 * written as zero so that encoded bytes never leak old buffer contents.
 */
import type { DriverModel, FieldModel, StructModel } from '../model.js';
import {
  decodeFn, elementSize, encodeFn, fieldInType, fieldOutType, getElement, initName, putElement, sizeConst, structHas64,
} from '../kinds/values.js';
import { codegenImport, docComment } from './ts.js';

export function emitStructs(d: DriverModel): string {
  const body = d.structs.map(emitStruct).join('\n\n');
  const used = ['copyBytes', 'putS64', 'putU64', 'readArray'].filter((n) => new RegExp(`\\b${n}\\(`).test(body));
  return `${used.length ? `${codegenImport(used)}\n\n` : ''}${body}\n`;
}

/** The field's doc, then where it lies: "The new PD. Offset 0, 4 bytes." */
function fieldDoc(f: FieldModel): string {
  const facts = [`Offset ${f.offset}, ${f.size} bytes`];
  if (f.enum) facts.push(`values of ${f.enum.name}`);
  if (f.type.kind === 'flex') facts.push('flexible array member: its elements follow the struct and are not part of this codec');
  const doc = (f.doc ?? '').trim();
  const lead = doc === '' ? '' : /[.!?:)]$/.test(doc) ? `${doc} ` : `${doc}. `;
  return `${lead}${facts.join('; ')}.`;
}

function emitStruct(s: StructModel): string {
  const fixed = s.fields.filter((f) => f.type.kind !== 'flex');
  const lines: string[] = [];
  lines.push(docComment(`struct ${s.name}: ${s.doc}`));
  lines.push(`export interface ${s.tsName} {`);
  for (const f of fixed) lines.push(`${docComment(fieldDoc(f))}\n  ${f.tsName}: ${fieldOutType(f.type)};`);
  lines.push('}');
  if (structHas64(s) || fixed.some((f) => f.type.kind !== 'scalar')) {
    lines.push(docComment(`Input of struct ${s.name}: fields left out are zero.`));
    lines.push(`export interface ${initName(s)} {`);
    for (const f of fixed) lines.push(`  ${f.tsName}?: ${fieldInType(f.type)};`);
    lines.push('}');
  } else {
    lines.push(docComment(`Input of struct ${s.name}: fields left out are zero.`));
    lines.push(`export type ${initName(s)} = Partial<${s.tsName}>;`);
  }
  lines.push(docComment(`sizeof(struct ${s.name}).`));
  lines.push(`export const ${sizeConst(s)} = ${s.size};`);
  lines.push(emitEncode(s, fixed));
  lines.push(emitDecode(s, fixed));
  return lines.join('\n');
}

/** Byte ranges no field covers (C padding), to be zeroed. */
function gaps(s: StructModel): [number, number][] {
  if (s.union) return [];
  const out: [number, number][] = [];
  let end = 0;
  for (const f of s.fields) {
    if (f.offset > end) out.push([end, f.offset]);
    end = Math.max(end, f.offset + f.size);
  }
  if (s.size > end) out.push([end, s.size]);
  return out;
}

function emitEncode(s: StructModel, fixed: FieldModel[]): string {
  const body: string[] = [];
  if (s.union) {
    // A union: zero it, then write the first field given.
    body.push(`for (let i = 0; i < ${s.size}; i++) v.setUint8(o + i, 0);`);
    fixed.forEach((f, i) => body.push(`${i === 0 ? '' : 'else '}if (x.${f.tsName} !== undefined) {\n${encodeField(f, `x.${f.tsName}`)}\n}`));
  } else {
    for (const f of fixed) body.push(encodeField(f, `x.${f.tsName}`));
    for (const [from, to] of gaps(s)) body.push(`for (let i = ${from}; i < ${to}; i++) v.setUint8(o + i, 0);`);
  }
  return `${docComment(`Writes struct ${s.name} at offset \`o\` of \`v\` (${s.size} bytes).`)}
export function ${encodeFn(s)}(v: DataView, o: number, x: ${initName(s)}): void {
${body.join('\n')}
}`;
}

function encodeField(f: FieldModel, x: string): string {
  const at = `o + ${f.offset}`;
  switch (f.type.kind) {
    case 'scalar':
      return putElement(f.type, 'v', at, `${x} ?? 0`);
    case 'struct':
      return putElement(f.type, 'v', at, `${x} ?? {}`);
    case 'array': {
      const e = f.type.element;
      const size = elementSize(e);
      const zero = e.kind === 'struct' ? '{}' : '0';
      return `for (let i = 0; i < ${f.type.count}; i++) { const e = ${x}?.[i]; ${putElement(e, 'v', `${at} + i * ${size}`, `e ?? ${zero}`)} }`;
    }
    case 'flex':
      return '';
  }
}

function emitDecode(s: StructModel, fixed: FieldModel[]): string {
  const fields = fixed.map((f) => `    ${f.tsName}: ${decodeField(f)},`);
  return `${docComment(`Reads struct ${s.name} at offset \`o\` of \`v\`.`)}
export function ${decodeFn(s)}(v: DataView, o: number): ${s.tsName} {
  return {
${fields.join('\n')}
  };
}`;
}

function decodeField(f: FieldModel): string {
  const at = `o + ${f.offset}`;
  switch (f.type.kind) {
    case 'scalar':
    case 'struct':
      return getElement(f.type, 'v', at);
    case 'array': {
      const e = f.type.element;
      if (e.kind === 'scalar' && e.scalar === 'u8') return `copyBytes(v, ${at}, ${f.type.count})`;
      return `readArray(v, ${at}, ${f.type.count}, ${elementSize(e)}, (w, k) => ${getElement(e, 'w', 'k')})`;
    }
    case 'flex':
      return '[]';
  }
}
