/** Enums and flag sets as const objects plus a union type of their values (no TS enum). */
import type { DriverModel, EnumModel } from '../model.js';
import { docComment, ident, literal } from './ts.js';

export function emitEnums(d: DriverModel): string {
  return d.enums.map(emitEnum).join('\n\n') + '\n';
}

function emitEnum(e: EnumModel): string {
  const name = ident(e.name.toUpperCase());
  const lines = [docComment(`enum ${e.name}${e.flags ? ' (flag set)' : ''}: ${e.doc}`), `export const ${name} = {`];
  for (const v of e.values) {
    if (v.doc !== undefined) lines.push(docComment(v.doc, '  '));
    lines.push(`  ${ident(v.name)}: ${literal(v.value)},`);
  }
  lines.push('} as const;');
  lines.push(`export type ${ident(e.tsName)} = (typeof ${name})[keyof typeof ${name}];`);
  if (e.flags) {
    lines.push(docComment(`Every bit of ${e.name}.`));
    lines.push(`export const ${name}_MASK = ${literal(e.mask)};`);
  }
  return lines.join('\n');
}
