/**
 * C struct layout on x86-64 (LP64): each scalar is aligned to its size, a struct to
 * its largest member, a struct's size is rounded up to its alignment. The spec states
 * every offset and size; this module computes them and reports any disagreement.
 */
import { Problems, pointer } from './errors.js';
import { SCALAR_SIZE, type FieldType, type ScalarOrStruct, type StructModel } from './model.js';

export interface Layout {
  size: number;
  align: number;
}

export function elementLayout(e: ScalarOrStruct): Layout {
  if (e.kind === 'scalar') return { size: SCALAR_SIZE[e.scalar], align: SCALAR_SIZE[e.scalar] };
  return { size: e.struct.size, align: e.struct.align };
}

export function fieldLayout(t: FieldType): Layout {
  switch (t.kind) {
    case 'scalar':
    case 'struct':
      return elementLayout(t);
    case 'array': {
      const e = elementLayout(t.element);
      return { size: e.size * t.count, align: e.align };
    }
    case 'flex':
      return { size: 0, align: elementLayout(t.element).align };
  }
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Computes the struct's layout from its fields' types (already resolved), checks the
 * stated offsets and size, and records size and alignment on the model.
 */
export function layOutStruct(s: StructModel, stated: { size: number; offsets: number[] }, problems: Problems): void {
  let end = 0;
  let align = 1;
  s.fields.forEach((f, i) => {
    const l = fieldLayout(f.type);
    align = Math.max(align, l.align);
    const offset = s.union ? 0 : alignUp(end, l.align);
    if (f.type.kind === 'flex' && i !== s.fields.length - 1) {
      problems.add(s.origin.file, pointer(s.origin.pointer, 'fields', i, 'type'), `flexible array member "${f.name}" is not the last field`,
        'move it to the end of the struct, or give it a count like [4]');
    }
    if (stated.offsets[i] !== offset) {
      problems.add(s.origin.file, pointer(s.origin.pointer, 'fields', i, 'offset'),
        `field "${f.name}" of struct ${s.name} is at offset ${offset} by C layout rules, but the spec says ${stated.offsets[i]}`,
        `set "offset" to ${offset}, or fix the types of the fields before it (u64 is 8-byte aligned; a padding gap in the header must be declared as a reserved field)`);
    }
    f.offset = offset;
    f.size = l.size;
    end = s.union ? Math.max(end, l.size) : offset + l.size;
  });
  const size = alignUp(end, align);
  if (stated.size !== size) {
    problems.add(s.origin.file, pointer(s.origin.pointer, 'size'),
      `struct ${s.name} is ${size} bytes by C layout rules (alignment ${align}), but the spec says ${stated.size}`,
      `set "size" to ${size}, or correct the field list (a field missing or of the wrong type)`);
  }
  s.size = size;
  s.align = align;
}

/** offsetofend(struct, field): where UVERBS_ATTR_STRUCT's minimum length ends. */
export function offsetOfEnd(s: StructModel, field: string): number | undefined {
  const f = s.fields.find((x) => x.name === field);
  return f === undefined ? undefined : f.offset + f.size;
}
