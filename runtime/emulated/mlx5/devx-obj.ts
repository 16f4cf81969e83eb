/**
 * DEVX_OBJ: device objects made by raw PRM commands, and the emulated firmware that runs
 * them. An object keeps the bytes of the command that created it (with the context's
 * uid stamped in, as the kernel does): a query answers them back at the offsets the PRM
 * gives the object's context in both commands, a modify overwrites them, and the
 * states the firmware owns (QP, SQ, RQ) move as the modify commands say.
 *
 * The firmware checks what it can see: the opcode names a kind it makes; the object a
 * query or modify names by id is the handle's; a CQ or QP names umems of its uid that
 * hold its buffer and doorbell; a flow group names a flow table, a flow entry its table,
 * group, destination tables or TIRs and counters. What a command names is held: the
 * firmware refuses to destroy an object something still uses (EBUSY).
 *
 * The same query and modify commands reach verbs objects (CQ, QP, SRQ, WQ, RWQ_IND_TBL)
 * by their firmware numbers; the emulator answers those from the verbs records.
 */
import { IB_UVERBS_SRQ_TYPE } from '../../../generated/core/enums.js';
import {
  UVERBS_ATTRS_DEVX_OBJ_ASYNC_QUERY, UVERBS_ATTRS_DEVX_OBJ_CREATE, UVERBS_ATTRS_DEVX_OBJ_MODIFY, UVERBS_ATTRS_DEVX_OBJ_QUERY, UVERBS_OBJECT,
} from '../../../generated/mlx5/ids.js';
import type { Bundle } from '../../kernel/bundle.js';
import type { RemoveReasonId } from '../../kernel/device.js';
import { EINVAL, fail } from '../../abi/errno.js';
import type { UObject } from '../../kernel/uobject.js';
import type { Cq } from '../core/cq.js';
import type { Srq } from '../core/srq.js';
import { base, drop, hold, recordOf, refuseIfUsed, type Base, type CoreState } from '../core/state.js';
import type { RwqIndTbl, Wq } from '../core/wq.js';
import { devxUid, mlx5ContextOf } from './context.js';
import { endSubscription, queueAnswer, type DevxAsyncCmdFd, type Subscription } from './devx-async.js';
import type { DevxUmem } from './devx-umem.js';
import {
  CONTEXT_MODIFIES, CQC, FTE, HDR, KIND_BY_CREATE, KIND_BY_MODIFY, KIND_BY_QUERY, Mailbox, Op, QP_TRANSITIONS, QPC, readId, WQ_STATE, type PrmKind,
} from './prm.js';
import { mlx5State, type Mlx5State } from './state.js';
import type { Mlx5Cq, Mlx5Qp } from './queues.js';
import { bytesOf } from './udata.js';

export interface DevxObj extends Base<'DEVX_OBJ'> {
  readonly kind: PrmKind;
  readonly uid: number;
  /** obj_type of a general object (and the legacy object type others report in events), 0 otherwise. */
  readonly objType: number;
  /** The firmware's id of the object (a CQ number, a table id, a flow index...). */
  readonly fwId: number;
  /** The create command as the firmware keeps it, modified since by modify commands. */
  cmd: Mailbox;
  /** What the object's command named and the firmware holds while it exists. */
  readonly holds: readonly Base<string>[];
  readonly subscriptions: Set<Subscription>;
  /** Counters in a flow counter bulk (1 for a single counter). */
  readonly bulk: number;
  /** Its name among the device's DEVX objects (Mlx5State.devxObjects). */
  readonly key: string;
}

/** A PRM table_type: NIC RX/TX, e-switch ACLs, FDB, sniffers, RDMA RX/TX. */
const PRM_TABLE_TYPES = 9;
const PRM_FDB = 4;

/** Most destinations and counters a flow entry takes (1 << log_max_flow_destination). */
const MAX_FTE_DESTINATIONS = 64;

/** attach_to_mcg_in: the QP number at 8, the group's GID at 0x10. */
const MCG_QPN = 0x08;
const MCG_GID = 0x10;

function key(kind: PrmKind, fwId: number, cmd: Mailbox): string {
  if (kind.name === 'FTE') return `fte:${cmd.u8(FTE.TABLE_TYPE)}:${cmd.u24(FTE.TABLE_ID)}:${fwId}`;
  if (kind.name === 'MCG_ATTACHMENT') {
    const gid = Array.from({ length: 4 }, (_, i) => cmd.u32(MCG_GID + 4 * i).toString(16)).join(':');
    return `${kind.name}:${cmd.u24(MCG_QPN)}:${gid}`;
  }
  return `${kind.name}:${fwId}`;
}

/** The DEVX object of `kind` with id `fwId` that `uid` may name; EINVAL (the firmware's bad parameter) otherwise. */
function named(s: Mlx5State, uid: number, kindName: string, fwId: number, what: string): DevxObj {
  const o = s.devxObjects.get(`${kindName}:${fwId}`);
  if (!o || o.uid !== uid) fail(EINVAL, `${what}: no ${kindName} 0x${fwId.toString(16)} of this user id`);
  return o;
}

function umemNamed(s: Mlx5State, uid: number, umemId: number, what: string): DevxUmem {
  const u = s.umems.get(umemId);
  if (!u || u.uid !== uid) fail(EINVAL, `${what}: no umem ${umemId} of this user id`);
  return u;
}

/** A flow table a flow entry may jump to: a DEVX table of this uid, or a steering anchor's table. */
function jumpTarget(s: Mlx5State, uid: number, ftId: number): readonly Base<string>[] {
  const o = s.devxObjects.get(`FLOW_TABLE:${ftId}`);
  if (o && o.uid === uid) return [o];
  for (const t of s.steeringTables.values()) {
    if (t.anchorFtId === ftId && t.anchors.size > 0) return [...t.anchors];
  }
  return fail(EINVAL, `no flow table 0x${ftId.toString(16)} this user id may jump to`);
}

interface Made {
  readonly fwId: number;
  readonly holds: Base<string>[];
  readonly objType: number;
  readonly bulk: number;
}

/** The emulated firmware's create: checks what the command names and picks the new object's id. */
function firmwareCreate(s: Mlx5State, uid: number, kind: PrmKind, cmd: Mailbox): Made {
  const holds: Base<string>[] = [];
  let objType = 0;
  let bulk = 1;
  switch (kind.name) {
    case 'CQ': {
      const eqn = cmd.u8(CQC.C_EQN + 3);
      const first = s.caps.firstCompEqn;
      if (eqn < first || eqn >= first + s.caps.numCompVectors) fail(EINVAL, `c_eqn ${eqn} is not a completion EQ (${first}..${first + s.caps.numCompVectors - 1})`);
      const logSize = cmd.u8(CQC.LOG_SIZE) & 0x1f;
      const ring = umemNamed(s, uid, cmd.u32(CQC.UMEM_ID), 'CQ buffer');
      const need = BigInt(64) << BigInt(logSize);
      if (cmd.u64(CQC.UMEM_OFFSET) + need > ring.buffer.length) fail(EINVAL, `a CQ of 2^${logSize} CQEs does not fit its umem of ${ring.buffer.length} bytes`);
      holds.push(ring, umemNamed(s, uid, cmd.u32(CQC.DBR_UMEM_ID), 'CQ doorbell'));
      break;
    }
    case 'QP':
      holds.push(umemNamed(s, uid, cmd.u32(QPC.WQ_UMEM_ID), 'QP buffer'), umemNamed(s, uid, cmd.u32(QPC.DBR_UMEM_ID), 'QP doorbell'));
      break;
    case 'FLOW_TABLE': {
      const type = cmd.u8(FTE.TABLE_TYPE);
      if (type >= PRM_TABLE_TYPES) fail(EINVAL, `flow table type ${type} is not one the firmware has`);
      if (type === PRM_FDB && !s.caps.eswitch) fail(EINVAL, 'the FDB needs the e-switch in switchdev mode');
      break;
    }
    case 'FLOW_GROUP':
      holds.push(tableOf(s, uid, cmd));
      break;
    case 'FTE': {
      const table = tableOf(s, uid, cmd);
      holds.push(table, groupOf(s, uid, cmd, table));
      const action = cmd.u16(FTE.ACTION + 2);
      const dests = (action & FTE.ACTION_FWD_DEST) !== 0 ? cmd.u24(FTE.DEST_COUNT) : 0;
      const counters = (action & FTE.ACTION_COUNT) !== 0 ? cmd.u24(FTE.COUNTER_COUNT) : 0;
      if (dests + counters > MAX_FTE_DESTINATIONS) fail(EINVAL, `${dests + counters} destinations and counters are more than a flow entry takes`);
      for (let i = 0; i < dests; i++) {
        const at = FTE.DESTINATIONS + 8 * i;
        const type = cmd.u8(at);
        if (type === FTE.DEST_FLOW_TABLE) holds.push(...jumpTarget(s, uid, cmd.u24(at)));
        else if (type === FTE.DEST_TIR) holds.push(named(s, uid, 'TIR', cmd.u24(at), 'flow destination'));
      }
      for (let i = 0; i < counters; i++) holds.push(counterOf(s, uid, cmd.u32(FTE.DESTINATIONS + 8 * (dests + i))));
      break;
    }
    case 'FLOW_COUNTER':
      bulk = Math.max(1, 128 * cmd.u8(0x0f));
      break;
    case 'GENERAL_OBJECT':
      objType = cmd.opMod;
      break;
    case 'PSV':
      if (cmd.u8(8) >> 4 !== 1) fail(EINVAL, 'DEVX makes one PSV per command');
      break;
    case 'MKEY':
      if (cmd.length < 0x50) fail(EINVAL, `CREATE_MKEY of ${cmd.length} bytes lacks the whole mkey context`);
      break;
  }
  return { fwId: pickId(s, kind, cmd, bulk), holds, objType, bulk };
}

function tableOf(s: Mlx5State, uid: number, cmd: Mailbox): DevxObj {
  const t = named(s, uid, 'FLOW_TABLE', cmd.u24(FTE.TABLE_ID), 'flow table');
  if (t.cmd.u8(FTE.TABLE_TYPE) !== cmd.u8(FTE.TABLE_TYPE)) fail(EINVAL, 'the flow table is of another table type');
  return t;
}

function groupOf(s: Mlx5State, uid: number, cmd: Mailbox, table: DevxObj): DevxObj {
  const g = named(s, uid, 'FLOW_GROUP', cmd.u32(FTE.GROUP_ID), 'flow group');
  if (g.holds[0] !== table) fail(EINVAL, 'the flow group belongs to another table');
  return g;
}

function counterOf(s: Mlx5State, uid: number, id: number): DevxObj {
  for (const o of s.devxObjects.values()) {
    if (o.kind.name === 'FLOW_COUNTER' && o.uid === uid && id >= o.fwId && id < o.fwId + o.bulk) return o;
  }
  return fail(EINVAL, `no flow counter 0x${id.toString(16)} of this user id`);
}

function pickId(s: Mlx5State, kind: PrmKind, cmd: Mailbox, bulk: number): number {
  if (kind.inId) {
    const id = readId(cmd, kind.inId);
    if (s.devxObjects.has(key(kind, id, cmd))) fail(EINVAL, `${kind.name} ${id} already exists`);
    return id;
  }
  if (kind.name === 'MCG_ATTACHMENT') {
    // The firmware answers no id; the attachment is its QP and group, once each.
    if (s.devxObjects.has(key(kind, 0, cmd))) fail(EINVAL, 'the QP is already attached to that group');
    return 0;
  }
  if (kind.name === 'FLOW_COUNTER') {
    const id = s.nextFlowCounter;
    s.nextFlowCounter += bulk;
    return id;
  }
  return s.space(kind.space).alloc();
}

function freeId(s: Mlx5State, r: DevxObj): void {
  if (r.kind.inId || r.kind.name === 'MCG_ATTACHMENT' || r.kind.name === 'FLOW_COUNTER') return;
  s.space(r.kind.space).free(r.fwId);
}

/**
 * Makes a DEVX object from a create command (stamped with `uid`), as DEVX_OBJ_CREATE does;
 * returns it with the firmware's answer of `outLen` bytes.
 */
export function newDevxObj(s: Mlx5State, uid: number, bytes: Uint8Array, outLen: number): { obj: DevxObj; out: Mailbox } {
  const cmd = new Mailbox(bytes);
  if (cmd.vhcaTunnelId !== 0) fail(EINVAL, 'vhca_tunnel_id is set');
  const kind = KIND_BY_CREATE.get(cmd.opcode);
  if (!kind || (kind.name === 'FTE' && cmd.opMod !== 0)) fail(EINVAL, `opcode 0x${cmd.opcode.toString(16)} does not create an object`);
  cmd.set16(2, uid);
  setUmemValid(kind, cmd);
  const made = firmwareCreate(s, uid, kind, cmd);
  const obj = s.born<DevxObj>({
    ...base('DEVX_OBJ'),
    kind,
    uid,
    objType: made.objType,
    fwId: made.fwId,
    cmd,
    holds: made.holds,
    subscriptions: new Set(),
    bulk: made.bulk,
    key: key(kind, made.fwId, cmd),
  });
  for (const h of obj.holds) hold(h);
  s.devxObjects.set(obj.key, obj);
  const out = Mailbox.zeroed(outLen);
  if (kind.outId?.bits === 24) out.set24(kind.outId.at, made.fwId);
  else if (kind.outId) out.set32(kind.outId.at, made.fwId);
  return { obj, out };
}

/** devx_set_umem_valid: a DEVX CQ or QP always takes its buffer and doorbell from umems. */
function setUmemValid(kind: PrmKind, cmd: Mailbox): void {
  if (kind.name === 'CQ') cmd.set8(CQC.UMEM_ID + 4, cmd.u8(CQC.UMEM_ID + 4) | 0x80);
  if (kind.name === 'QP') {
    cmd.set8(QPC.WQ_UMEM_ID + 4, cmd.u8(QPC.WQ_UMEM_ID + 4) | 0x80);
    cmd.set8(QPC.CONTEXT + 0xd0, cmd.u8(QPC.CONTEXT + 0xd0) | 0x10);
  }
}

/** The firmware's destroy: refused while another object uses this one. */
export function releaseDevxObj(s: CoreState, r: DevxObj, reason: RemoveReasonId): void {
  refuseIfUsed(r, reason, 'flow entries, flow groups or flows');
  const m = s as Mlx5State;
  for (const h of r.holds) drop(h);
  for (const sub of r.subscriptions) endSubscription(sub);
  r.subscriptions.clear();
  m.devxObjects.delete(r.key);
  freeId(m, r);
}

/** What a query or modify command may name through a handle: kind and id pairs. */
function targetsOf(u: UObject): { kind: string; fwId: number; obj?: DevxObj }[] {
  switch (u.type.id) {
    case UVERBS_OBJECT.DEVX_OBJ: {
      const o = recordOf<DevxObj>(u, 'DEVX_OBJ');
      return [{ kind: o.kind.name, fwId: o.fwId, obj: o }];
    }
    case UVERBS_OBJECT.CQ:
      return [{ kind: 'CQ', fwId: recordOf<Cq>(u, 'CQ').cqn }];
    case UVERBS_OBJECT.QP: {
      const qp = recordOf<Mlx5Qp>(u, 'QP');
      const raw = qp.mlx5?.raw;
      if (raw) return [{ kind: 'RQ', fwId: raw.rqn }, { kind: 'SQ', fwId: raw.sqn }, { kind: 'TIR', fwId: raw.tirn }, { kind: 'TIS', fwId: raw.tisn }];
      return [{ kind: 'QP', fwId: qp.qpn }];
    }
    case UVERBS_OBJECT.SRQ: {
      const srq = recordOf<Srq>(u, 'SRQ');
      return [{ kind: srq.srqType === IB_UVERBS_SRQ_TYPE.IB_UVERBS_SRQT_XRC ? 'XRC_SRQ' : 'RMP', fwId: srq.srqn }];
    }
    case UVERBS_OBJECT.WQ:
      return [{ kind: 'RQ', fwId: recordOf<Wq>(u, 'WQ').wqn }];
    case UVERBS_OBJECT.RWQ_IND_TBL:
      return [{ kind: 'RQT', fwId: recordOf<RwqIndTbl>(u, 'RWQ_IND_TBL').indTblNum }];
    default:
      return [];
  }
}

/** devx_is_valid_obj_id: the command's id must be the handle's object. */
function resolve(u: UObject, kind: PrmKind, cmd: Mailbox): { fwId: number; obj?: DevxObj } {
  const id = readId(cmd, kind.target);
  for (const t of targetsOf(u)) {
    if (t.kind !== kind.name || t.fwId !== id) continue;
    if (t.obj && kind.name === 'GENERAL_OBJECT' && t.obj.objType !== cmd.opMod) continue;
    return t;
  }
  return fail(EINVAL, `the command names ${kind.name} 0x${id.toString(16)}, which is not the ${u.type.name} of handle ${u.id}`);
}

/** The checks every DEVX command on an object makes before the firmware runs it. */
function objCommand(b: Bundle, cmdIn: number, table: ReadonlyMap<number, PrmKind>, what: string): { cmd: Mailbox; kind: PrmKind } {
  const cmd = new Mailbox(bytesOf(b, cmdIn));
  if (cmd.vhcaTunnelId !== 0) fail(EINVAL, 'vhca_tunnel_id is set');
  const uid = devxUid(b.file);
  const kind = table.get(cmd.opcode);
  if (!kind || (cmd.opcode === Op.SET_FLOW_TABLE_ENTRY && cmd.opMod !== 1)) fail(EINVAL, `opcode 0x${cmd.opcode.toString(16)} is not a ${what} command`);
  cmd.set16(2, uid);
  return { cmd, kind };
}

/** The firmware's answer to a query: the kept create bytes of the object's context, or a verbs object's context. */
export function queryAnswer(b: Bundle, u: UObject, kind: PrmKind, cmd: Mailbox, outLen: number): Mailbox {
  const t = resolve(u, kind, cmd);
  const out = Mailbox.zeroed(outLen);
  if (t.obj) {
    const end = Math.min(outLen, t.obj.kind.ctxEnd ?? t.obj.cmd.length, t.obj.cmd.length);
    out.bytes.set(t.obj.cmd.bytes.subarray(HDR, Math.max(HDR, end)), HDR);
    if (kind.name === 'GENERAL_OBJECT') out.set32(8, t.obj.fwId);
    return out;
  }
  if (u.type.id === UVERBS_OBJECT.CQ) {
    const cq = recordOf<Mlx5Cq>(u, 'CQ');
    const s = mlx5State(b.device);
    if (cq.mlx5?.cqeSize === 128) out.set8(CQC.CONTEXT + 1, 1 << 5);
    out.set24(CQC.UAR_PAGE, cq.mlx5?.uarIndex ?? 0);
    out.set8(CQC.LOG_SIZE, Math.log2(cq.cqe + 1));
    out.set8(CQC.C_EQN + 3, s.caps.firstCompEqn + cq.compVector);
  }
  return out;
}

/** The firmware's modify: states move as the command says, the kept context takes its new bytes. */
function modify(obj: DevxObj, kind: PrmKind, cmd: Mailbox): void {
  const op = cmd.opcode;
  const t = QP_TRANSITIONS.get(op);
  let state: number | undefined;
  if (t) {
    const now = obj.cmd.u8(QPC.STATE) >> 4;
    if (t.from !== undefined && now !== t.from) fail(EINVAL, `QP 0x${obj.fwId.toString(16)} is in state ${now}, not ${t.from}`);
    state = t.to;
  } else if (op === Op.MODIFY_SQ || op === Op.MODIFY_RQ) {
    const now = obj.cmd.u8(WQ_STATE.CONTEXT_STATE) >> 4;
    const claimed = cmd.u8(WQ_STATE.CURRENT_STATE) >> 4;
    if (claimed !== now) fail(EINVAL, `${kind.name} 0x${obj.fwId.toString(16)} is in state ${now}, the command says ${claimed}`);
    state = cmd.u8(WQ_STATE.CONTEXT_STATE) >> 4;
    if (state !== 0 && state !== 1 && state !== 3) fail(EINVAL, `${state} is not a state of an ${kind.name} (RST, RDY, ERR)`);
  }
  const end = Math.min(cmd.length, kind.ctxEnd ?? cmd.length);
  if (CONTEXT_MODIFIES.has(op) && end > kind.ctx) {
    if (end > obj.cmd.length) {
      const grown = Mailbox.zeroed(end);
      grown.bytes.set(obj.cmd.bytes);
      obj.cmd = grown;
    }
    obj.cmd.bytes.set(cmd.bytes.subarray(kind.ctx, end), kind.ctx);
  }
  if (state !== undefined) {
    const at = t ? QPC.STATE : WQ_STATE.CONTEXT_STATE;
    obj.cmd.set8(at, (obj.cmd.u8(at) & 0x0f) | (state << 4));
  }
}

export const devxObjHandlers = {
  mlx5DevxObjCreate(b: Bundle): void {
    const A = UVERBS_ATTRS_DEVX_OBJ_CREATE;
    const s = mlx5State(b.device);
    mlx5ContextOf(b.file);
    const bytes = bytesOf(b, A.cmd_in);
    if (new Mailbox(bytes).vhcaTunnelId !== 0) fail(EINVAL, 'vhca_tunnel_id is set');
    const uid = devxUid(b.file);
    const { obj, out } = newDevxObj(s, uid, bytes, b.len(A.cmd_out));
    b.uobject(A.handle).object = obj;
    b.output(A.cmd_out, out.length, (v, o) => new Uint8Array(v.buffer, v.byteOffset + o, out.length).set(out.bytes));
  },

  mlx5DevxObjModify(b: Bundle): void {
    const A = UVERBS_ATTRS_DEVX_OBJ_MODIFY;
    const { cmd, kind } = objCommand(b, A.cmd_in, KIND_BY_MODIFY, 'modify');
    const t = resolve(b.uobject(A.handle), kind, cmd);
    if (t.obj) modify(t.obj, kind, cmd);
    const len = b.len(A.cmd_out);
    b.output(A.cmd_out, len, () => {}); // the firmware's answer to a modify: all zero, status 0 (MLX5_CMD_STAT_OK), no syndrome
  },

  mlx5DevxObjQuery(b: Bundle): void {
    const A = UVERBS_ATTRS_DEVX_OBJ_QUERY;
    const { cmd, kind } = objCommand(b, A.cmd_in, KIND_BY_QUERY, 'query');
    const out = queryAnswer(b, b.uobject(A.handle), kind, cmd, b.len(A.cmd_out));
    b.output(A.cmd_out, out.length, (v, o) => new Uint8Array(v.buffer, v.byteOffset + o, out.length).set(out.bytes));
  },

  mlx5DevxObjAsyncQuery(b: Bundle): void {
    const A = UVERBS_ATTRS_DEVX_OBJ_ASYNC_QUERY;
    const { cmd, kind } = objCommand(b, A.cmd_in, KIND_BY_QUERY, 'query');
    const fd = recordOf<DevxAsyncCmdFd>(b.uobject(A.fd), 'DEVX_ASYNC_CMD_FD');
    const wrId = b.u64(A.wr_id);
    const outLen = Number(b.constIn(A.out_len, 0xffffn));
    if (outLen < HDR) fail(EINVAL, `out_len ${outLen} is shorter than the ${HDR}-byte answer header`);
    const out = queryAnswer(b, b.uobject(A.handle), kind, cmd, outLen);
    queueAnswer(fd, { wrId, out: out.bytes });
  },
};
