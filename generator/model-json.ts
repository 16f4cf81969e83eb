/**
 * The resolved model as plain JSON for other tools (`uverbs-abi model --json`). The
 * shape is documented in docs/model-json.md and kept stable: fields are only added.
 */
import { valueText, type AttrModel, type DriverModel, type FieldType, type Model } from './model.js';

const num = (v: bigint): number | string => (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : `0x${v.toString(16)}`);

function fieldType(t: FieldType): string {
  const e = t.kind === 'array' || t.kind === 'flex' ? t.element : t;
  const base = e.kind === 'scalar' ? e.scalar : `struct ${e.struct.name}`;
  return t.kind === 'array' ? `${base}[${t.count}]` : t.kind === 'flex' ? `${base}[]` : base;
}

function attribute(a: AttrModel): object {
  return {
    name: a.name,
    cName: a.cName,
    id: a.id,
    kind: a.kind,
    mandatory: a.mandatory,
    ...(a.access !== undefined ? { access: a.access } : {}),
    ...(a.object !== undefined ? { object: a.object } : {}),
    ...(a.value !== undefined ? { value: valueText(a.value) } : {}),
    ...(a.enum !== undefined ? { enum: a.enum.name } : {}),
    len: a.len,
    minLen: a.minLen,
    zeroTrailing: a.zeroTrailing,
    allocAndCopy: a.allocAndCopy,
    isUdata: a.isUdata,
    ...(a.elements !== undefined
      ? { elements: a.elements.map((e) => ({ name: e.name, cName: e.cName, id: e.id, value: valueText(e.value), len: e.len, minLen: e.minLen, zeroTrailing: e.zeroTrailing })) }
      : {}),
    ...(a.minCount !== undefined ? { minCount: a.minCount, maxCount: a.maxCount } : {}),
    ...(a.defaultValue !== undefined ? { default: a.defaultValue } : {}),
    driver: a.driver,
    doc: a.doc,
  };
}

function driver(d: DriverModel): object {
  return {
    name: d.name,
    driverId: d.driverId,
    ...(d.extends !== undefined ? { extends: d.extends } : {}),
    doc: d.doc,
    types: d.types.map((t) => ({
      name: t.name,
      cName: t.cName,
      id: t.id,
      kind: t.kind,
      driver: t.driver,
      doc: t.doc,
      actions: t.actions.map((a) => ({
        name: a.name,
        cName: a.cName,
        id: a.id,
        handler: a.handler,
        driver: a.driver,
        doc: a.doc,
        attributes: a.attributes.map(attribute),
      })),
    })),
    releaseOrder: d.releaseOrder.map((t) => t.name),
    writeCommands: d.writeCommands.map((w) => ({
      name: w.name,
      cName: w.cName,
      command: w.command,
      extended: w.extended,
      request: w.request.name,
      requestMinLen: w.requestMinLen,
      ...(w.response ? { response: w.response.name } : {}),
      responseMinLen: w.responseMinLen,
      ...(w.creates !== undefined ? { creates: w.creates } : {}),
      ...(w.destroys !== undefined ? { destroys: w.destroys } : {}),
      driverData: w.driverData,
      ...(w.handler !== undefined ? { handler: w.handler } : { notImplemented: true }),
      driver: w.driver,
      doc: w.doc,
    })),
    structs: d.structs.map((s) => ({
      name: s.name,
      size: s.size,
      align: s.align,
      union: s.union,
      fields: s.fields.map((f) => ({ name: f.name, type: fieldType(f.type), offset: f.offset, size: f.size })),
    })),
    enums: d.enums.map((e) => ({ name: e.name, flags: e.flags, values: e.values.map((v) => ({ name: v.name, value: num(v.value) })) })),
  };
}

export function modelJson(m: Model, only?: string): { drivers: object[] } {
  return { drivers: m.drivers.filter((d) => only === undefined || d.name === only).map(driver) };
}
