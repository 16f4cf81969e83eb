/**
 * The contract between generated code and the runtime: the shape of the kernel-side
 * tables the generator emits for each driver. Generated tables state the version they
 * were made for; the runtime refuses a table of another version (regenerate).
 *
 * Lookups are dense: an id's namespace (bits 12..15) picks `core` (0) or `driver` (1),
 * its low 12 bits index the array. No string keys on the hot path.
 */

export const CONTRACT_VERSION = 2;

/** Attribute kinds as the kernel's uverbs_attr_spec types them. */
export const AttrKind = {
  PTR_IN: 0,
  PTR_OUT: 1,
  CONST_IN: 2,
  FLAGS_IN: 3,
  ENUM_IN: 4,
  IDR: 5,
  FD: 6,
  RAW_FD: 7,
  IDRS_ARRAY: 8,
} as const;
export type AttrKindId = (typeof AttrKind)[keyof typeof AttrKind];

/** UVERBS_ACCESS_*: read is shared; write and destroy are exclusive; new is created. */
export const Access = { NONE: -1, READ: 0, WRITE: 1, NEW: 2, DESTROY: 3 } as const;
export type AccessId = (typeof Access)[keyof typeof Access];

/** UVERBS_IDR_ANY_OBJECT: an idr attribute that takes a handle of any type. */
export const ANY_OBJECT = 0xffff;
export const NO_OBJECT = -1;

export const TypeKind = { IDR: 0, FD: 1, DEVICE: 2 } as const;
export type TypeKindId = (typeof TypeKind)[keyof typeof TypeKind];

/** The length rules of a pointer attribute or of one element of an enum attribute. */
export interface PtrSpec {
  readonly len: number;
  readonly minLen: number;
  readonly zeroTrailing: boolean;
}

export interface AttrSpec extends PtrSpec {
  readonly id: number;
  readonly name: string;
  readonly kind: AttrKindId;
  /** Slot in the handler's bundle and bit in the action's mandatory mask. */
  readonly index: number;
  readonly mandatory: boolean;
  readonly allocAndCopy: boolean;
  /** UHW_IN / UHW_OUT: opaque driver data. */
  readonly isUdata: boolean;
  /** idr / fd / idrs_array: the object type id, ANY_OBJECT, or NO_OBJECT. */
  readonly objType: number;
  readonly access: AccessId;
  /** enum_in: by elem_id. */
  readonly elements: readonly (PtrSpec | undefined)[];
  /** idrs_array: how many handles. */
  readonly minCount: number;
  readonly maxCount: number;
  /** flags_in: the bits that may be set. */
  readonly flagsMask: bigint;
}

/** Dense by low 12 bits of the id, one array per namespace. */
export interface ById<T> {
  readonly core: readonly (T | undefined)[];
  readonly driver: readonly (T | undefined)[];
}

export interface ActionSpec {
  readonly id: number;
  readonly name: string;
  /** The handler the device must provide. */
  readonly handler: string;
  /** By bundle slot (id order). */
  readonly attrs: readonly AttrSpec[];
  readonly byId: ById<AttrSpec>;
  /** Slots of the mandatory attributes. */
  readonly mandatory: readonly number[];
  /** Slot of the new/destroy attribute, or -1. */
  readonly objectSlot: number;
}

export interface TypeSpec {
  readonly id: number;
  readonly name: string;
  readonly kind: TypeKindId;
  readonly actions: ById<ActionSpec>;
}

/**
 * A command of the write() ABI (the kernel's uverbs_api_write_method). Handlers read
 * the request and write the response themselves (uverbs_request / uverbs_response);
 * the runtime checks the header against these sizes first.
 */
export interface WriteSpec {
  /** The command number, without IB_USER_VERBS_CMD_FLAG_EXTENDED. */
  readonly command: number;
  /** An IB_USER_VERBS_EX_CMD_* command: ib_uverbs_ex_cmd_hdr follows the header. */
  readonly extended: boolean;
  /** The spec's name, e.g. "ALLOC_PD" or "EX_CREATE_CQ". */
  readonly name: string;
  /** The write handler the device must provide; "" for a command Linux numbers but never implemented (it answers EOPNOTSUPP). */
  readonly handler: string;
  /** The kernel's req_size: the shortest core request accepted (ENOSPC below it). */
  readonly reqSize: number;
  /** sizeof the request struct: what the handler reads; a longer request must be zero past it (else EOPNOTSUPP). */
  readonly reqStructSize: number;
  /** The kernel's resp_size: the least response room accepted (ENOSPC below it); 0 without a response. */
  readonly respSize: number;
  /** sizeof the response struct (0 without a response). */
  readonly respStructSize: number;
  /** A plain command whose request starts with the u64 address of its response. */
  readonly hasResp: boolean;
  /** Driver data (udata) follows the core request and the core response. */
  readonly hasUdata: boolean;
  /** The object type a successful command creates, or NO_OBJECT. */
  readonly creates: number;
  /** The object type it destroys, or NO_OBJECT. */
  readonly destroys: number;
}

export interface UapiSpec {
  readonly contract: number;
  readonly driver: string;
  readonly driverId: number;
  readonly types: ById<TypeSpec>;
  /** Type ids, first released first. */
  readonly releaseOrder: readonly number[];
  /** Plain write() commands, dense by command number (undefined where none is declared). */
  readonly write: readonly (WriteSpec | undefined)[];
  /** Extended write() commands (IB_USER_VERBS_CMD_FLAG_EXTENDED), dense by command number. */
  readonly writeEx: readonly (WriteSpec | undefined)[];
}

/** Looks an id up in a dense pair of arrays; undefined for an unknown id or namespace. */
export function lookup<T>(table: ById<T>, id: number): T | undefined {
  const ns = id >>> 12;
  const low = id & 0xfff;
  if (ns === 0) return table.core[low];
  if (ns === 1) return table.driver[low];
  return undefined;
}

/** Refuses tables generated for another contract version. */
export function checkContract(spec: UapiSpec): UapiSpec {
  if (spec.contract !== CONTRACT_VERSION) {
    throw new Error(`the ${spec.driver} tables were generated for runtime contract ${spec.contract}, this runtime implements ${CONTRACT_VERSION}: run npm run generate`);
  }
  return spec;
}
