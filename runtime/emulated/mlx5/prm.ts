/**
 * What the emulated firmware knows of the PRM (the mlx5 programmer's reference manual,
 * include/linux/mlx5/mlx5_ifc.h): command opcodes, the command and answer headers, and
 * for each kind of object DEVX can create, which commands create, query, modify and
 * destroy it and where its id sits in them. Mailboxes are big-endian.
 *
 * Every command starts with general_obj_in_cmd_hdr: opcode (u16 at 0), uid (u16 at 2),
 * vhca_tunnel_id (u16 at 4), obj_type or op_mod (u16 at 6), obj_id (u32 at 8). Every
 * answer starts with general_obj_out_cmd_hdr: status (u8 at 0), syndrome (u32 at 4),
 * obj_id (u32 at 8).
 */

export const Op = {
  QUERY_HCA_CAP: 0x100,
  QUERY_ADAPTER: 0x101,
  QUERY_ISSI: 0x10a,
  CREATE_MKEY: 0x200,
  QUERY_MKEY: 0x201,
  DESTROY_MKEY: 0x202,
  CREATE_CQ: 0x400,
  DESTROY_CQ: 0x401,
  QUERY_CQ: 0x402,
  MODIFY_CQ: 0x403,
  CREATE_QP: 0x500,
  DESTROY_QP: 0x501,
  RST2INIT_QP: 0x502,
  INIT2RTR_QP: 0x503,
  RTR2RTS_QP: 0x504,
  RTS2RTS_QP: 0x505,
  SQERR2RTS_QP: 0x506,
  QP_2ERR: 0x507,
  QP_2RST: 0x50a,
  QUERY_QP: 0x50b,
  INIT2INIT_QP: 0x50e,
  CREATE_PSV: 0x600,
  DESTROY_PSV: 0x601,
  CREATE_SRQ: 0x700,
  DESTROY_SRQ: 0x701,
  QUERY_SRQ: 0x702,
  ARM_RQ: 0x703,
  CREATE_XRC_SRQ: 0x705,
  DESTROY_XRC_SRQ: 0x706,
  QUERY_XRC_SRQ: 0x707,
  ARM_XRC_SRQ: 0x708,
  CREATE_DCT: 0x710,
  DESTROY_DCT: 0x711,
  QUERY_DCT: 0x713,
  ARM_DCT_FOR_KEY_VIOLATION: 0x714,
  CREATE_XRQ: 0x717,
  DESTROY_XRQ: 0x718,
  QUERY_XRQ: 0x719,
  ARM_XRQ: 0x71a,
  MODIFY_XRQ: 0x72a,
  QUERY_ESW_VPORT_CONTEXT: 0x752,
  QUERY_VPORT_STATE: 0x750,
  QUERY_NIC_VPORT_CONTEXT: 0x754,
  QUERY_ROCE_ADDRESS: 0x760,
  QUERY_HCA_VPORT_CONTEXT: 0x762,
  QUERY_VNIC_ENV: 0x76f,
  QUERY_VPORT_COUNTER: 0x770,
  ALLOC_Q_COUNTER: 0x771,
  DEALLOC_Q_COUNTER: 0x772,
  CREATE_SCHEDULING_ELEMENT: 0x782,
  DESTROY_SCHEDULING_ELEMENT: 0x783,
  ALLOC_PD: 0x800,
  DEALLOC_PD: 0x801,
  ATTACH_TO_MCG: 0x806,
  DETACH_FROM_MCG: 0x807,
  GET_DROPPED_PACKET_LOG: 0x80a,
  NOP: 0x80d,
  ALLOC_XRCD: 0x80e,
  DEALLOC_XRCD: 0x80f,
  ALLOC_TRANSPORT_DOMAIN: 0x816,
  DEALLOC_TRANSPORT_DOMAIN: 0x817,
  QUERY_CONG_STATUS: 0x822,
  QUERY_CONG_PARAMS: 0x824,
  QUERY_CONG_STATISTICS: 0x826,
  ADD_VXLAN_UDP_DPORT: 0x827,
  DELETE_VXLAN_UDP_DPORT: 0x828,
  SET_L2_TABLE_ENTRY: 0x829,
  DELETE_L2_TABLE_ENTRY: 0x82b,
  QUERY_LAG: 0x842,
  CREATE_TIR: 0x900,
  MODIFY_TIR: 0x901,
  DESTROY_TIR: 0x902,
  QUERY_TIR: 0x903,
  CREATE_SQ: 0x904,
  MODIFY_SQ: 0x905,
  DESTROY_SQ: 0x906,
  QUERY_SQ: 0x907,
  CREATE_RQ: 0x908,
  MODIFY_RQ: 0x909,
  DESTROY_RQ: 0x90a,
  QUERY_RQ: 0x90b,
  CREATE_RMP: 0x90c,
  MODIFY_RMP: 0x90d,
  DESTROY_RMP: 0x90e,
  QUERY_RMP: 0x90f,
  CREATE_TIS: 0x912,
  MODIFY_TIS: 0x913,
  DESTROY_TIS: 0x914,
  QUERY_TIS: 0x915,
  CREATE_RQT: 0x916,
  MODIFY_RQT: 0x917,
  DESTROY_RQT: 0x918,
  QUERY_RQT: 0x919,
  CREATE_FLOW_TABLE: 0x930,
  DESTROY_FLOW_TABLE: 0x931,
  QUERY_FLOW_TABLE: 0x932,
  CREATE_FLOW_GROUP: 0x933,
  DESTROY_FLOW_GROUP: 0x934,
  QUERY_FLOW_GROUP: 0x935,
  SET_FLOW_TABLE_ENTRY: 0x936,
  QUERY_FLOW_TABLE_ENTRY: 0x937,
  DELETE_FLOW_TABLE_ENTRY: 0x938,
  ALLOC_FLOW_COUNTER: 0x939,
  DEALLOC_FLOW_COUNTER: 0x93a,
  MODIFY_FLOW_TABLE: 0x93c,
  ALLOC_PACKET_REFORMAT_CONTEXT: 0x93d,
  DEALLOC_PACKET_REFORMAT_CONTEXT: 0x93e,
  ALLOC_MODIFY_HEADER_CONTEXT: 0x940,
  DEALLOC_MODIFY_HEADER_CONTEXT: 0x941,
  QUERY_MODIFY_HEADER_CONTEXT: 0x942,
  CREATE_GENERAL_OBJECT: 0xa00,
  MODIFY_GENERAL_OBJECT: 0xa01,
  QUERY_GENERAL_OBJECT: 0xa02,
  DESTROY_GENERAL_OBJECT: 0xa03,
  /** The general-command range [GENERAL_START, GENERAL_END) DEVX_OTHER passes through. */
  GENERAL_START: 0xb00,
  GENERAL_END: 0xd00,
} as const;

/** Command statuses (status byte of the answer) and the errno mlx5_cmd_exec turns them into. */
export const Status = {
  OK: 0x00,
  BAD_PARAM: 0x03,
  BAD_RES_STATE: 0x09,
  RESOURCE_BUSY: 0x0d,
  LIM_EXCEEDED: 0x0f,
} as const;

export const HDR = 16;

/** A mailbox: bounds-safe big-endian fields (reads past the end are zero, as a short command's tail is). */
export class Mailbox {
  readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  static zeroed(len: number): Mailbox {
    return new Mailbox(new Uint8Array(len));
  }

  get length(): number {
    return this.bytes.length;
  }

  u8(at: number): number {
    return at < this.bytes.length ? this.bytes[at]! : 0;
  }

  u16(at: number): number {
    return (this.u8(at) << 8) | this.u8(at + 1);
  }

  u32(at: number): number {
    return ((this.u16(at) << 16) | this.u16(at + 2)) >>> 0;
  }

  /** The low 24 bits of the u32 at `at` (ids stored beside a reserved or flag byte). */
  u24(at: number): number {
    return this.u32(at) & 0xffffff;
  }

  u64(at: number): bigint {
    return (BigInt(this.u32(at)) << 32n) | BigInt(this.u32(at + 4));
  }

  set8(at: number, v: number): void {
    if (at < this.bytes.length) this.bytes[at] = v & 0xff;
  }

  set16(at: number, v: number): void {
    this.set8(at, v >> 8);
    this.set8(at + 1, v);
  }

  set32(at: number, v: number): void {
    this.set16(at, v >>> 16);
    this.set16(at + 2, v & 0xffff);
  }

  /** Sets the low 24 bits of the u32 at `at`, keeping its top byte. */
  set24(at: number, v: number): void {
    this.set8(at + 1, v >> 16);
    this.set16(at + 2, v & 0xffff);
  }

  set64(at: number, v: bigint): void {
    this.set32(at, Number((v >> 32n) & 0xffff_ffffn));
    this.set32(at + 4, Number(v & 0xffff_ffffn));
  }

  get opcode(): number {
    return this.u16(0);
  }

  get uid(): number {
    return this.u16(2);
  }

  get vhcaTunnelId(): number {
    return this.u16(4);
  }

  /** op_mod, or obj_type in a general object command. */
  get opMod(): number {
    return this.u16(6);
  }
}

/** How a kind names its objects in the commands that act on them. */
export interface IdField {
  readonly at: number;
  /** 24 for the "reserved byte + 24-bit number" fields, 32 otherwise. */
  readonly bits: 24 | 32;
}

/**
 * One kind of object a DEVX create command makes. `ctx` is where the object's context
 * starts in the create command: queries answer the kept create bytes from there on at
 * the same offset (the PRM places a query's context where the create command had it),
 * and modify commands with a context at that offset overwrite the kept bytes.
 */
export interface PrmKind {
  readonly name: string;
  readonly create: number;
  readonly destroy: number;
  readonly query: readonly number[];
  readonly modify: readonly number[];
  /** Where query and modify commands carry the object's id. */
  readonly target: IdField;
  /** Where the create answer returns the new id; undefined when the create command names it itself. */
  readonly outId: IdField | undefined;
  /** Where the create command names the object's id itself (flow index, port, table index). */
  readonly inId: IdField | undefined;
  readonly ctx: number;
  /** The end of the context in a query answer: create bytes beyond it (buffers, umems) are not answered. */
  readonly ctxEnd: number | undefined;
  /** The number space the ids come from (shared with verbs objects where the device shares them). */
  readonly space: string;
}

const at8: IdField = { at: 8, bits: 24 };
const out8: IdField = { at: 8, bits: 24 };
const out32: IdField = { at: 8, bits: 32 };

function kind(k: Partial<PrmKind> & Pick<PrmKind, 'name' | 'create' | 'destroy' | 'space'>): PrmKind {
  return { query: [], modify: [], target: at8, outId: out8, inId: undefined, ctx: HDR, ctxEnd: undefined, ...k };
}

/** QP state transitions: the state each needs (undefined: any) and the state it leaves. */
export const QP_TRANSITIONS = new Map<number, { from: number | undefined; to: number }>([
  [Op.RST2INIT_QP, { from: 0, to: 1 }],
  [Op.INIT2INIT_QP, { from: 1, to: 1 }],
  [Op.INIT2RTR_QP, { from: 1, to: 2 }],
  [Op.RTR2RTS_QP, { from: 2, to: 3 }],
  [Op.RTS2RTS_QP, { from: 3, to: 3 }],
  [Op.SQERR2RTS_QP, { from: 4, to: 3 }],
  [Op.QP_2ERR, { from: undefined, to: 6 }],
  [Op.QP_2RST, { from: undefined, to: 0 }],
]);

export const KINDS: readonly PrmKind[] = [
  kind({ name: 'MKEY', create: Op.CREATE_MKEY, destroy: Op.DESTROY_MKEY, query: [Op.QUERY_MKEY], space: 'mkey', ctxEnd: 0x50 }),
  kind({ name: 'CQ', create: Op.CREATE_CQ, destroy: Op.DESTROY_CQ, query: [Op.QUERY_CQ], modify: [Op.MODIFY_CQ], space: 'cq', ctxEnd: 0x50 }),
  kind({ name: 'QP', create: Op.CREATE_QP, destroy: Op.DESTROY_QP, query: [Op.QUERY_QP], modify: [...QP_TRANSITIONS.keys()], space: 'qp', ctx: 0x18, ctxEnd: 0x100 }),
  kind({ name: 'DCT', create: Op.CREATE_DCT, destroy: Op.DESTROY_DCT, query: [Op.QUERY_DCT], modify: [Op.ARM_DCT_FOR_KEY_VIOLATION], space: 'qp' }),
  kind({ name: 'SRQ', create: Op.CREATE_SRQ, destroy: Op.DESTROY_SRQ, query: [Op.QUERY_SRQ], space: 'srq' }),
  kind({ name: 'XRC_SRQ', create: Op.CREATE_XRC_SRQ, destroy: Op.DESTROY_XRC_SRQ, query: [Op.QUERY_XRC_SRQ], modify: [Op.ARM_XRC_SRQ], space: 'srq' }),
  kind({ name: 'XRQ', create: Op.CREATE_XRQ, destroy: Op.DESTROY_XRQ, query: [Op.QUERY_XRQ], modify: [Op.ARM_XRQ, Op.MODIFY_XRQ], space: 'srq' }),
  kind({ name: 'RMP', create: Op.CREATE_RMP, destroy: Op.DESTROY_RMP, query: [Op.QUERY_RMP], modify: [Op.MODIFY_RMP], space: 'srq', ctx: 0x20 }),
  kind({ name: 'SQ', create: Op.CREATE_SQ, destroy: Op.DESTROY_SQ, query: [Op.QUERY_SQ], modify: [Op.MODIFY_SQ], space: 'sq', ctx: 0x20 }),
  kind({ name: 'RQ', create: Op.CREATE_RQ, destroy: Op.DESTROY_RQ, query: [Op.QUERY_RQ], modify: [Op.MODIFY_RQ, Op.ARM_RQ], space: 'rq', ctx: 0x20 }),
  kind({ name: 'RQT', create: Op.CREATE_RQT, destroy: Op.DESTROY_RQT, query: [Op.QUERY_RQT], modify: [Op.MODIFY_RQT], space: 'rqt', ctx: 0x20 }),
  kind({ name: 'TIR', create: Op.CREATE_TIR, destroy: Op.DESTROY_TIR, query: [Op.QUERY_TIR], modify: [Op.MODIFY_TIR], space: 'tir', ctx: 0x20 }),
  kind({ name: 'TIS', create: Op.CREATE_TIS, destroy: Op.DESTROY_TIS, query: [Op.QUERY_TIS], modify: [Op.MODIFY_TIS], space: 'tis', ctx: 0x20 }),
  kind({ name: 'PD', create: Op.ALLOC_PD, destroy: Op.DEALLOC_PD, space: 'pd' }),
  kind({ name: 'XRCD', create: Op.ALLOC_XRCD, destroy: Op.DEALLOC_XRCD, space: 'xrcd' }),
  kind({ name: 'TD', create: Op.ALLOC_TRANSPORT_DOMAIN, destroy: Op.DEALLOC_TRANSPORT_DOMAIN, space: 'td' }),
  kind({ name: 'Q_COUNTER', create: Op.ALLOC_Q_COUNTER, destroy: Op.DEALLOC_Q_COUNTER, space: 'q_counter' }),
  kind({ name: 'FLOW_TABLE', create: Op.CREATE_FLOW_TABLE, destroy: Op.DESTROY_FLOW_TABLE, query: [Op.QUERY_FLOW_TABLE], modify: [Op.MODIFY_FLOW_TABLE], target: { at: 0x14, bits: 24 }, space: 'ft', ctx: 0x18 }),
  kind({ name: 'FLOW_GROUP', create: Op.CREATE_FLOW_GROUP, destroy: Op.DESTROY_FLOW_GROUP, query: [Op.QUERY_FLOW_GROUP], target: { at: 0x18, bits: 32 }, space: 'fg' }),
  kind({ name: 'FTE', create: Op.SET_FLOW_TABLE_ENTRY, destroy: Op.DELETE_FLOW_TABLE_ENTRY, query: [Op.QUERY_FLOW_TABLE_ENTRY], modify: [Op.SET_FLOW_TABLE_ENTRY], target: { at: 0x20, bits: 32 }, outId: undefined, inId: { at: 0x20, bits: 32 }, space: 'fte', ctx: 0x40 }),
  kind({ name: 'FLOW_COUNTER', create: Op.ALLOC_FLOW_COUNTER, destroy: Op.DEALLOC_FLOW_COUNTER, outId: out32, space: 'flow_counter' }),
  kind({ name: 'PACKET_REFORMAT', create: Op.ALLOC_PACKET_REFORMAT_CONTEXT, destroy: Op.DEALLOC_PACKET_REFORMAT_CONTEXT, outId: out32, space: 'reformat' }),
  kind({ name: 'MODIFY_HEADER', create: Op.ALLOC_MODIFY_HEADER_CONTEXT, destroy: Op.DEALLOC_MODIFY_HEADER_CONTEXT, query: [Op.QUERY_MODIFY_HEADER_CONTEXT], target: { at: 8, bits: 32 }, outId: out32, space: 'modify_header' }),
  kind({ name: 'SCHEDULING_ELEMENT', create: Op.CREATE_SCHEDULING_ELEMENT, destroy: Op.DESTROY_SCHEDULING_ELEMENT, outId: out32, space: 'sched' }),
  kind({ name: 'VXLAN_UDP_DPORT', create: Op.ADD_VXLAN_UDP_DPORT, destroy: Op.DELETE_VXLAN_UDP_DPORT, outId: undefined, inId: { at: 8, bits: 32 }, space: 'vxlan' }),
  kind({ name: 'L2_TABLE_ENTRY', create: Op.SET_L2_TABLE_ENTRY, destroy: Op.DELETE_L2_TABLE_ENTRY, outId: undefined, inId: { at: 0x14, bits: 24 }, space: 'l2' }),
  kind({ name: 'MCG_ATTACHMENT', create: Op.ATTACH_TO_MCG, destroy: Op.DETACH_FROM_MCG, outId: undefined, space: 'mcg' }),
  kind({ name: 'PSV', create: Op.CREATE_PSV, destroy: Op.DESTROY_PSV, space: 'psv' }),
  kind({ name: 'GENERAL_OBJECT', create: Op.CREATE_GENERAL_OBJECT, destroy: Op.DESTROY_GENERAL_OBJECT, query: [Op.QUERY_GENERAL_OBJECT], modify: [Op.MODIFY_GENERAL_OBJECT], target: { at: 8, bits: 32 }, outId: out32, space: 'general' }),
];

export const KIND_BY_CREATE = new Map(KINDS.map((k) => [k.create, k]));
export const KIND_BY_QUERY = new Map(KINDS.flatMap((k) => k.query.map((op) => [op, k] as const)));
export const KIND_BY_MODIFY = new Map(KINDS.flatMap((k) => k.modify.map((op) => [op, k] as const)));

/**
 * Modify commands whose context sits where the create command's does, so the firmware
 * applies them by overwriting the kept context; the others (table moves, arming, XRQ
 * changes) change nothing the emulated firmware keeps.
 */
export const CONTEXT_MODIFIES = new Set<number>([
  Op.MODIFY_CQ, ...QP_TRANSITIONS.keys(), Op.MODIFY_SQ, Op.MODIFY_RQ, Op.MODIFY_RMP, Op.MODIFY_TIR, Op.MODIFY_TIS, Op.MODIFY_RQT,
  Op.MODIFY_GENERAL_OBJECT, Op.SET_FLOW_TABLE_ENTRY,
]);

/** The general commands DEVX_OTHER runs (devx_is_general_cmd): queries that change nothing. */
export const GENERAL_COMMANDS = new Set<number>([
  Op.QUERY_HCA_CAP, Op.QUERY_HCA_VPORT_CONTEXT, Op.QUERY_ESW_VPORT_CONTEXT, Op.QUERY_VPORT_STATE, Op.QUERY_ADAPTER, Op.QUERY_ISSI,
  Op.QUERY_NIC_VPORT_CONTEXT, Op.QUERY_ROCE_ADDRESS, Op.QUERY_VNIC_ENV, Op.QUERY_VPORT_COUNTER, Op.GET_DROPPED_PACKET_LOG, Op.NOP,
  Op.QUERY_CONG_STATUS, Op.QUERY_CONG_PARAMS, Op.QUERY_CONG_STATISTICS, Op.QUERY_LAG,
]);

/** The capability queries a context without a DEVX uid may still run, under the device's own uid. */
export const WHITELIST_COMMANDS = new Set<number>([Op.QUERY_HCA_CAP, Op.QUERY_HCA_VPORT_CONTEXT, Op.QUERY_ESW_VPORT_CONTEXT]);

/** Reads an id field. */
export function readId(m: Mailbox, f: IdField): number {
  return f.bits === 24 ? m.u24(f.at) : m.u32(f.at);
}

/** An answer of `len` bytes with status OK. */
export function okAnswer(len: number): Mailbox {
  return Mailbox.zeroed(len);
}

/** flow_context (at 0x40 of set_fte_in): its group id, destination and counter lists. */
export const FTE = {
  TABLE_TYPE: 0x10,
  TABLE_ID: 0x14,
  CONTEXT: 0x40,
  GROUP_ID: 0x40 + 0x04,
  ACTION: 0x40 + 0x0c,
  DEST_COUNT: 0x40 + 0x10,
  COUNTER_COUNT: 0x40 + 0x14,
  DESTINATIONS: 0x40 + 0x300,
  /** dest_format.destination_type values. */
  DEST_FLOW_TABLE: 0x1,
  DEST_TIR: 0x2,
  /** flow_context.action bits. */
  ACTION_FWD_DEST: 0x4,
  ACTION_COUNT: 0x8,
} as const;

/** cqc (at 0x10 of create_cq_in) and the CQ's umem fields. */
export const CQC = {
  CONTEXT: 0x10,
  DBR_UMEM_ID: 0x10 + 0x04,
  /** log_cq_size is the low 5 bits of the byte before uar_page. */
  LOG_SIZE: 0x10 + 0x0c,
  UAR_PAGE: 0x10 + 0x0c,
  C_EQN: 0x10 + 0x14,
  UMEM_OFFSET: 0x50,
  UMEM_ID: 0x58,
} as const;

/** qpc (at 0x18 of create_qp_in and of the transition commands): state, the doorbell umem, the WQ umem. */
export const QPC = {
  CONTEXT: 0x18,
  /** state is the top nibble of the context's first byte. */
  STATE: 0x18,
  DBR_UMEM_ID: 0x18 + 0xe4,
  WQ_UMEM_OFFSET: 0x100,
  WQ_UMEM_ID: 0x108,
} as const;

/** sqc and rqc (at 0x20): state is the top nibble of the context's second byte; modify carries the current state above the number. */
export const WQ_STATE = { CONTEXT_STATE: 0x21, CURRENT_STATE: 0x08 } as const;
