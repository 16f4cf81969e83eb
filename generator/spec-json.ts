/**
 * The shape of a spec file as the JSON Schema admits it. Only the resolve step reads
 * these; everything after it reads the typed model.
 */

export interface SpecFileJson {
  $schema: string;
  driver?: DriverJson;
  types?: TypeJson[];
  typeExtensions?: TypeExtensionJson[];
  structs?: StructJson[];
  enums?: EnumJson[];
  writeCommands?: WriteCommandJson[];
}

export interface DriverJson {
  name: string;
  doc: string;
  driverId: number;
  extends?: string;
  releaseOrder: string[];
}

export interface TypeJson {
  name: string;
  cName: string;
  id: number;
  kind: 'idr' | 'fd' | 'device';
  doc: string;
  actions: ActionJson[];
}

export interface ActionJson {
  name: string;
  cName: string;
  id: number;
  doc: string;
  handler: string;
  attributes: AttributeJson[];
  encodeOrder?: string[];
}

export interface TypeExtensionJson {
  type: string;
  actions?: ActionJson[];
  actionExtensions?: ActionExtensionJson[];
}

export interface ActionExtensionJson {
  action: string;
  doc: string;
  attributes: AttributeJson[];
}

interface AttrCommon {
  name: string;
  cName: string;
  id: number;
  doc: string;
  mandatory: boolean;
}

export interface SizesJson {
  len?: number;
  minLen?: number;
  last?: string;
  zeroTrailing?: boolean;
}

export interface PtrAttrJson extends AttrCommon, SizesJson {
  kind: 'ptr_in' | 'ptr_out';
  value: string;
  enum?: string;
  allocAndCopy?: boolean;
}

export interface ConstInAttrJson extends AttrCommon {
  kind: 'const_in';
  value: string;
  enum?: string;
  default?: number;
}

export interface FlagsInAttrJson extends AttrCommon {
  kind: 'flags_in';
  enum: string;
  value?: 'u32' | 'u64';
}

export interface EnumElementJson extends SizesJson {
  name: string;
  cName: string;
  id: number;
  doc: string;
  value: string;
}

export interface EnumInAttrJson extends AttrCommon {
  kind: 'enum_in';
  elements: EnumElementJson[];
}

export interface ObjectAttrJson extends AttrCommon {
  kind: 'idr' | 'fd';
  object: string;
  access: 'read' | 'write' | 'new' | 'destroy';
}

export interface RawFdAttrJson extends AttrCommon {
  kind: 'raw_fd';
}

export interface IdrsArrayAttrJson extends AttrCommon {
  kind: 'idrs_array';
  object: string;
  access: 'read' | 'write';
  minCount: number;
  maxCount: number;
}

export interface UhwAttrJson {
  kind: 'uhw';
  doc: string;
  in?: string;
  out?: string;
}

export type AttributeJson =
  | PtrAttrJson
  | ConstInAttrJson
  | FlagsInAttrJson
  | EnumInAttrJson
  | ObjectAttrJson
  | RawFdAttrJson
  | IdrsArrayAttrJson
  | UhwAttrJson;

export interface FieldJson {
  name: string;
  type: string;
  offset: number;
  enum?: string;
  handle?: { object: string; access: 'read' | 'write' | 'new' | 'destroy' };
  doc?: string;
}

export interface StructJson {
  name: string;
  doc: string;
  union?: boolean;
  size: number;
  fields: FieldJson[];
}

export interface EnumJson {
  name: string;
  doc: string;
  flags: boolean;
  values: { name: string; value: number | string; doc?: string }[];
}

export interface WriteCommandJson {
  name: string;
  cName: string;
  command: number;
  extended: boolean;
  doc: string;
  handler?: string;
  notImplemented?: true;
  request: string;
  requestLast?: string;
  response?: string;
  responseLast?: string;
  creates?: string;
  destroys?: string;
  driverData?: boolean;
}
