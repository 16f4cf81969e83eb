/** A Markdown reference of the driver's ABI, from the spec's docs. */
import { renderers } from '../kinds/index.js';
import type { DriverModel, FieldType } from '../model.js';
import { hex, oneLine, provenance, type Provenance } from './templates.js';

function typeText(t: FieldType): string {
  const e = t.kind === 'array' || t.kind === 'flex' ? t.element : t;
  const base = e.kind === 'scalar' ? e.scalar : `struct ${e.struct.name}`;
  return t.kind === 'array' ? `${base}[${t.count}]` : t.kind === 'flex' ? `${base}[]` : base;
}

export function emitDocs(d: DriverModel, p: Provenance): string {
  const out = [
    `<!-- ${provenance(p)} Regenerate with: ${p.regenerate} -->`,
    `# The ${d.name} uverbs ABI`,
    '',
    d.doc,
    '',
    `Driver id: ${d.driverId}${d.extends ? ` (extends ${d.extends})` : ''}. Release order on close: ${d.releaseOrder.map((t) => t.name).join(', ')}.`,
    '',
  ];
  for (const t of d.types) {
    out.push(`## ${t.name} (${hex(t.id)}, ${t.kind})`, '', t.doc, '');
    for (const a of t.actions) {
      const extendedBy = [...new Set(a.attributes.filter((x) => x.driver !== a.driver).map((x) => x.driver))].join(', ');
      out.push(`### ${a.name} (${hex(a.id)})${extendedBy ? ` (extended by ${extendedBy})` : ''}`, '', a.doc, '');
      out.push('| id | attribute | kind | mandatory | |', '| --- | --- | --- | --- | --- |');
      for (const x of a.attributes) {
        out.push(`| ${hex(x.id)} | \`${x.name}\` | ${renderers[x.kind].describe(x)} | ${x.mandatory ? 'yes' : 'no'} | ${oneLine(x.doc)} |`);
      }
      out.push('');
    }
  }
  if (d.structs.length) {
    out.push('## Structs', '');
    for (const s of d.structs) {
      out.push(`### struct ${s.name} (${s.size} bytes)`, '', s.doc, '', '| offset | field | type |', '| --- | --- | --- |');
      for (const f of s.fields) out.push(`| ${f.offset} | \`${f.name}\` | ${typeText(f.type)} |`);
      out.push('');
    }
  }
  return `${out.join('\n')}\n`;
}
