/**
 * The typed model the resolve step builds from the spec. Emitters read only this,
 * never raw JSON. Every node keeps where it came from (file + JSON pointer) so that
 * later checks can still point at the spec.
 */

export interface Origin {
  file: string;
  pointer: string;
}

export type Scalar = 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64';

export const SCALAR_SIZE: Readonly<Record<Scalar, number>> = {
  u8: 1, u16: 2, u32: 4, u64: 8, s8: 1, s16: 2, s32: 4, s64: 8,
};

/** The type of a struct field. */
export type FieldType =
  | { kind: 'scalar'; scalar: Scalar }
  | { kind: 'struct'; struct: StructModel }
  | { kind: 'array'; element: ScalarOrStruct; count: number }
  /** A flexible array member: size 0 in the struct, elements follow it. */
  | { kind: 'flex'; element: ScalarOrStruct };

export type ScalarOrStruct = { kind: 'scalar'; scalar: Scalar } | { kind: 'struct'; struct: StructModel };

export interface FieldModel {
  name: string;
  /** camelCase property name in TypeScript. */
  tsName: string;
  type: FieldType;
  offset: number;
  size: number;
  enum?: EnumModel;
  handle?: { object: string; access: Access };
  doc?: string;
}

export interface StructModel {
  name: string;
  /** PascalCase TypeScript name. */
  tsName: string;
  doc: string;
  union: boolean;
  size: number;
  align: number;
  fields: FieldModel[];
  /** The driver that declares it. */
  driver: string;
  origin: Origin;
}

export interface EnumValueModel {
  name: string;
  value: bigint;
  doc?: string;
}

export interface EnumModel {
  name: string;
  tsName: string;
  doc: string;
  flags: boolean;
  values: EnumValueModel[];
  /** For a flag set: the union of its bits. */
  mask: bigint;
  driver: string;
  origin: Origin;
}

/** What a pointer attribute carries. */
export type ValueModel =
  | { kind: 'scalar'; scalar: Scalar }
  | { kind: 'struct'; struct: StructModel }
  | { kind: 'array'; element: ScalarOrStruct }
  | { kind: 'bytes' };

export type Access = 'read' | 'write' | 'new' | 'destroy';

/** Attribute kinds after resolution: `uhw` expands into a ptr_in and a ptr_out. */
export type AttrKind =
  | 'ptr_in'
  | 'ptr_out'
  | 'const_in'
  | 'flags_in'
  | 'enum_in'
  | 'idr'
  | 'fd'
  | 'raw_fd'
  | 'idrs_array';

/** The protocol's largest length: UVERBS_ATTR_MIN_SIZE's "no limit". */
export const LEN_UNLIMITED = 0xffff;

export interface EnumElementModel {
  name: string;
  tsName: string;
  cName: string;
  id: number;
  doc: string;
  value: ValueModel;
  len: number;
  minLen: number;
  zeroTrailing: boolean;
}

export interface AttrModel {
  name: string;
  tsName: string;
  cName: string;
  id: number;
  kind: AttrKind;
  doc: string;
  mandatory: boolean;
  /** Which driver declared it (an extension's attributes belong to the extending driver). */
  driver: string;
  /** Position in the action's attribute list (id order): the bundle slot and mandatory bit. */
  index: number;
  /** ptr_in/ptr_out/const_in/flags_in: what is carried; idrs_array: u32 handles. */
  value?: ValueModel;
  len: number;
  minLen: number;
  zeroTrailing: boolean;
  allocAndCopy: boolean;
  /** UHW_IN / UHW_OUT: opaque driver data (udata). */
  isUdata: boolean;
  enum?: EnumModel;
  /** idr/fd/idrs_array: the object type's name, or "*" for any. */
  object?: string;
  access?: Access;
  elements?: EnumElementModel[];
  minCount?: number;
  maxCount?: number;
  /** const_in: the value used when the attribute is absent. */
  defaultValue?: number;
  origin: Origin;
}

export interface ActionModel {
  name: string;
  tsName: string;
  cName: string;
  id: number;
  doc: string;
  handler: string;
  /** Sorted by id. */
  attributes: AttrModel[];
  /** The order an encoder writes attributes in (rdma-core's order where the spec gives one). */
  encodeOrder: AttrModel[];
  driver: string;
  origin: Origin;
}

export type TypeKind = 'idr' | 'fd' | 'device';

export interface TypeModel {
  name: string;
  tsName: string;
  cName: string;
  id: number;
  kind: TypeKind;
  doc: string;
  /** Sorted by id. */
  actions: ActionModel[];
  driver: string;
  origin: Origin;
}

export interface WriteCommandModel {
  name: string;
  tsName: string;
  cName: string;
  command: number;
  extended: boolean;
  doc: string;
  /** The device's write handler; absent for a command Linux numbers but never implemented (EOPNOTSUPP). */
  handler?: string;
  request: StructModel;
  /** The kernel's minimum request length: the end of requestLast, or the whole request struct. */
  requestMinLen: number;
  response?: StructModel;
  /** The kernel's minimum response room: the end of responseLast, or the whole response struct (0 without a response). */
  responseMinLen: number;
  creates?: string;
  destroys?: string;
  driverData: boolean;
  driver: string;
  origin: Origin;
}

/** A driver's merged view: what a device of this driver answers to. */
export interface DriverModel {
  name: string;
  doc: string;
  driverId: number;
  extends?: string;
  /** Sorted by id. */
  types: TypeModel[];
  structs: StructModel[];
  enums: EnumModel[];
  writeCommands: WriteCommandModel[];
  /** First released first. */
  releaseOrder: TypeModel[];
  origin: Origin;
}

export interface Model {
  /** Base drivers before the drivers that extend them. */
  drivers: DriverModel[];
  /**
   * Drivers taken from the package's own spec only because a driver of the given spec
   * folder extends them (a user's driver extending core): resolved, but not generated,
   * since the package already ships their generated code.
   */
  shipped?: readonly string[];
}

export function camelCase(snake: string): string {
  const lead = /^_*/.exec(snake)?.[0] ?? '';
  return lead + snake.slice(lead.length).toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function pascalCase(snake: string): string {
  const c = camelCase(snake.replace(/^_+/, ''));
  return c.charAt(0).toUpperCase() + c.slice(1);
}

export function valueSize(v: ValueModel | ScalarOrStruct): number | undefined {
  switch (v.kind) {
    case 'scalar': return SCALAR_SIZE[v.scalar];
    case 'struct': return v.struct.size;
    default: return undefined;
  }
}

export function valueText(v: ValueModel): string {
  switch (v.kind) {
    case 'scalar': return v.scalar;
    case 'struct': return `struct ${v.struct.name}`;
    case 'array': return `${v.element.kind === 'scalar' ? v.element.scalar : `struct ${v.element.struct.name}`}[]`;
    case 'bytes': return 'bytes';
  }
}

export const UHW_IN = 0x1000;
export const UHW_OUT = 0x1001;
