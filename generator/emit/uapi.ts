/**
 * The kernel side: per attribute its kind, sizes, access, object type and mandatory
 * flag; per action its attributes by bundle slot and by id; the dispatch table indexed
 * densely by type and action id. The runtime reads these through runtime/contract.ts.
 */
import { type ActionModel, type AttrModel, type DriverModel, type TypeModel, type WriteCommandModel } from '../model.js';
import { codegenImport, docComment } from './ts.js';

const KIND: Record<AttrModel['kind'], string> = {
  ptr_in: 'AttrKind.PTR_IN', ptr_out: 'AttrKind.PTR_OUT', const_in: 'AttrKind.CONST_IN', flags_in: 'AttrKind.FLAGS_IN',
  enum_in: 'AttrKind.ENUM_IN', idr: 'AttrKind.IDR', fd: 'AttrKind.FD', raw_fd: 'AttrKind.RAW_FD', idrs_array: 'AttrKind.IDRS_ARRAY',
};
const ACCESS = { read: 'Access.READ', write: 'Access.WRITE', new: 'Access.NEW', destroy: 'Access.DESTROY' } as const;
const TYPE_KIND = { idr: 'TypeKind.IDR', fd: 'TypeKind.FD', device: 'TypeKind.DEVICE' } as const;

/** Splits items by namespace into two dense arrays indexed by the id's low 12 bits. */
function byId<T extends { id: number }>(items: readonly T[], render: (x: T) => string, indent: string): string {
  const ns = (k: number): string => {
    const these = items.filter((x) => x.id >>> 12 === k);
    if (these.length === 0) return '[]';
    const max = Math.max(...these.map((x) => x.id & 0xfff));
    const slots: string[] = [];
    for (let i = 0; i <= max; i++) {
      const x = these.find((y) => (y.id & 0xfff) === i);
      slots.push(x ? render(x) : 'undefined');
    }
    return `[\n${slots.map((s) => `${indent}  ${s},`).join('\n')}\n${indent}]`;
  };
  return `{ core: ${ns(0)}, driver: ${ns(1)} }`;
}

function attrSpec(types: readonly TypeModel[], x: AttrModel): string {
  const obj = x.object === undefined ? 'NO_OBJECT' : x.object === '*' ? 'ANY_OBJECT' : String(types.find((t) => t.name === x.object)!.id);
  const elements = x.elements
    ? `[${Array.from({ length: Math.max(...x.elements.map((e) => e.id)) + 1 }, (_, i) => {
      const e = x.elements!.find((y) => y.id === i);
      return e ? `{ len: ${e.len}, minLen: ${e.minLen}, zeroTrailing: ${e.zeroTrailing} }` : 'undefined';
    }).join(', ')}]`
    : '[]';
  return `{ id: ${x.id}, name: ${JSON.stringify(x.name)}, kind: ${KIND[x.kind]}, index: ${x.index}, mandatory: ${x.mandatory}, ` +
    `len: ${x.len}, minLen: ${x.minLen}, zeroTrailing: ${x.zeroTrailing}, allocAndCopy: ${x.allocAndCopy}, isUdata: ${x.isUdata}, ` +
    `objType: ${obj}, access: ${x.access ? ACCESS[x.access] : 'Access.NONE'}, elements: ${elements}, ` +
    `minCount: ${x.minCount ?? 0}, maxCount: ${x.maxCount ?? 0}, flagsMask: ${x.enum && x.kind === 'flags_in' ? `${x.enum.mask.toString()}n` : '0n'} }`;
}

function actionSpec(t: TypeModel, a: ActionModel): string {
  const name = `${t.name}_${a.name}`;
  const slot = a.attributes.findIndex((x) => x.access === 'new' || x.access === 'destroy');
  return `{
    id: ${a.id},
    name: ${JSON.stringify(a.name)},
    handler: ${JSON.stringify(a.handler)},
    attrs: ATTRS_${name},
    byId: ${byId(a.attributes, (x) => `ATTRS_${name}[${x.index}]`, '    ')},
    mandatory: [${a.attributes.filter((x) => x.mandatory).map((x) => x.index).join(', ')}],
    objectSlot: ${slot},
  }`;
}

/** One write() command of the kernel table (runtime/contract.ts WriteSpec). */
function writeSpec(types: readonly TypeModel[], w: WriteCommandModel): string {
  const obj = (name: string | undefined): string => (name === undefined ? 'NO_OBJECT' : String(types.find((t) => t.name === name)!.id));
  const hasResp = !w.extended && w.request.fields[0]?.name === 'response';
  return `{ command: ${w.command}, extended: ${w.extended}, name: ${JSON.stringify(w.name)}, handler: ${JSON.stringify(w.handler ?? '')}, ` +
    `reqSize: ${w.requestMinLen}, reqStructSize: ${w.request.size}, respSize: ${w.responseMinLen}, respStructSize: ${w.response?.size ?? 0}, ` +
    `hasResp: ${hasResp}, hasUdata: ${w.driverData}, creates: ${obj(w.creates)}, destroys: ${obj(w.destroys)} }`;
}

/** Write commands of one kind, dense by command number. */
function writeTable(types: readonly TypeModel[], commands: readonly WriteCommandModel[]): string {
  if (commands.length === 0) return '[]';
  const max = Math.max(...commands.map((w) => w.command));
  const slots = Array.from({ length: max + 1 }, (_, i) => {
    const w = commands.find((x) => x.command === i);
    return w ? writeSpec(types, w) : 'undefined';
  });
  return `[\n${slots.map((x) => `    ${x},`).join('\n')}\n  ]`;
}

export function emitUapi(d: DriverModel, contract: number): string {
  const out: string[] = [];
  out.push('');
  for (const t of d.types) {
    for (const a of t.actions) {
      out.push(`const ATTRS_${t.name}_${a.name}: readonly AttrSpec[] = [\n${a.attributes.map((x) => `  ${attrSpec(d.types, x)},`).join('\n')}\n];`);
    }
  }
  const handlers = [...new Set(d.types.flatMap((t) => t.actions.map((a) => a.handler)))];
  out.push('');
  out.push(docComment(`The names of the handlers a device of driver ${d.name} provides, one per action.`));
  out.push(`export type HandlerName =\n${handlers.map((h) => `  | ${JSON.stringify(h)}`).join('\n')};`);
  const writeHandlers = d.writeCommands.flatMap((w) => (w.handler !== undefined ? [w.handler] : []));
  out.push('');
  out.push(docComment(`The names of the write() handlers a device of driver ${d.name} provides, one per implemented command.`));
  out.push(`export type WriteHandlerName =${writeHandlers.length === 0 ? ' never' : `\n${writeHandlers.map((h) => `  | ${JSON.stringify(h)}`).join('\n')}`};`);
  const objectTypes = d.types.filter((t) => t.kind !== 'device').map((t) => t.name);
  out.push('');
  out.push(docComment(`The object types whose objects a device of driver ${d.name} must know how to release.`));
  out.push(`export type ObjectTypeName =\n${objectTypes.map((n) => `  | ${JSON.stringify(n)}`).join('\n')};`);
  out.push('');
  out.push(docComment(`The kernel-side tables of driver ${d.name}: the dispatch table by type and action id, each action's attribute specs, the release order.`));
  out.push(`export const uapi: UapiSpec = {
  contract: ${contract},
  driver: ${JSON.stringify(d.name)},
  driverId: ${d.driverId},
  types: ${byId(d.types, (t) => `{\n    id: ${t.id},\n    name: ${JSON.stringify(t.name)},\n    kind: ${TYPE_KIND[t.kind]},\n    actions: ${byId(t.actions, (a) => actionSpec(t, a), '    ')},\n  }`, '  ')},
  releaseOrder: [${d.releaseOrder.map((t) => t.id).join(', ')}],
  write: ${writeTable(d.types, d.writeCommands.filter((w) => !w.extended))},
  writeEx: ${writeTable(d.types, d.writeCommands.filter((w) => w.extended))},
};`);
  const body = out.join('\n');
  const used = ['ANY_OBJECT', 'Access', 'AttrKind', 'NO_OBJECT', 'TypeKind'].filter((n) => new RegExp(`\\b${n}\\b`).test(body));
  return `${codegenImport([...used, 'type AttrSpec', 'type UapiSpec'])}\n${body}\n`;
}
