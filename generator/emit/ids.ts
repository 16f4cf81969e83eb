/** Ids as const objects plus union types: types, each type's actions, each action's attributes. */
import type { DriverModel } from '../model.js';
import { hex, oneLine } from './templates.js';

export function emitIds(d: DriverModel): string {
  const out = [
    '/** The driver id a device of this driver answers to (the ioctl header\'s driver_id). */',
    `export const DRIVER_ID = ${d.driverId};`,
    '',
    '/** Object type ids (UVERBS_OBJECT_*). */',
    'export const UVERBS_OBJECT = {',
    ...d.types.flatMap((t) => [`  /** ${t.cName}: ${oneLine(t.doc)} */`, `  ${t.name}: ${hex(t.id)},`]),
    '} as const;',
    'export type UverbsObjectName = keyof typeof UVERBS_OBJECT;',
    'export type UverbsObjectId = (typeof UVERBS_OBJECT)[UverbsObjectName];',
  ];
  for (const t of d.types) {
    if (t.actions.length === 0) continue;
    out.push('', `/** Action ids of ${t.name} (UVERBS_METHOD_*). */`, `export const UVERBS_METHODS_${t.name} = {`);
    for (const a of t.actions) out.push(`  /** ${a.cName}: ${oneLine(a.doc)} */`, `  ${a.name}: ${hex(a.id)},`);
    out.push('} as const;');
  }
  for (const t of d.types) {
    for (const a of t.actions) {
      out.push('', `/** Attribute ids of ${a.name} (UVERBS_ATTR_*). */`, `export const UVERBS_ATTRS_${a.name} = {`);
      for (const x of a.attributes) out.push(`  /** ${x.cName} */`, `  ${x.name}: ${hex(x.id)},`);
      out.push('} as const;');
    }
  }
  return `${out.join('\n')}\n`;
}
