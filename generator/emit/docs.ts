/** A Markdown reference of the driver's ABI, from the spec's docs. */
import { renderers } from '../kinds/index.js';
import type { DriverModel, FieldType } from '../model.js';
import { render } from './templates.js';

function typeText(t: FieldType): string {
  const e = t.kind === 'array' || t.kind === 'flex' ? t.element : t;
  const base = e.kind === 'scalar' ? e.scalar : `struct ${e.struct.name}`;
  return t.kind === 'array' ? `${base}[${t.count}]` : t.kind === 'flex' ? `${base}[]` : base;
}

export function emitDocs(d: DriverModel, sources: string): string {
  return render('docs', {
    sources,
    name: d.name,
    doc: d.doc,
    driverId: d.driverId,
    extends: d.extends ?? '',
    releaseOrder: d.releaseOrder,
    types: d.types.map((t) => ({
      name: t.name, id: t.id, kind: t.kind, doc: t.doc,
      actions: t.actions.map((a) => ({
        name: a.name, id: a.id, doc: a.doc,
        extendedBy: [...new Set(a.attributes.filter((x) => x.driver !== a.driver).map((x) => x.driver))].join(', '),
        attributes: a.attributes.map((x) => ({ id: x.id, name: x.name, mandatory: x.mandatory, doc: x.doc, describe: renderers[x.kind].describe(x) })),
      })),
    })),
    structs: d.structs.map((s) => ({ name: s.name, size: s.size, doc: s.doc, fields: s.fields.map((f) => ({ offset: f.offset, name: f.name, typeText: typeText(f.type) })) })),
  });
}
