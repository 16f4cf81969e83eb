/**
 * The DEVX type's global actions: DEVX_OTHER (general firmware commands that touch no
 * object), the UAR and EQ number translations, and event subscription.
 *
 * DEVX_OTHER answers a successful command header; of the payloads, the emulated
 * firmware fills the ISSI query (current ISSI 1, ISSIs 0 and 1 supported) and the vport
 * state (up); the others (capability pages, vport contexts, counters) come back zeroed.
 */
import { UVERBS_ATTRS_DEVX_OTHER, UVERBS_ATTRS_DEVX_QUERY_EQN, UVERBS_ATTRS_DEVX_QUERY_UAR, UVERBS_ATTRS_DEVX_SUBSCRIBE_EVENT } from '../../../generated/mlx5/ids.js';
import type { Bundle } from '../../kernel/bundle.js';
import { EBADF, EINVAL, EOPNOTSUPP, fail } from '../../abi/errno.js';
import { recordOf } from '../core/state.js';
import { Mlx5Event } from './caps.js';
import { devxUid, mlx5ContextOf } from './context.js';
import type { DevxEventChannel, Subscription } from './devx-async.js';
import type { DevxObj } from './devx-obj.js';
import { GENERAL_COMMANDS, Mailbox, Op, WHITELIST_COMMANDS } from './prm.js';
import { mlx5State, type Mlx5State } from './state.js';
import { bytesOf } from './udata.js';

/** At most this many event types in one subscription. */
export const MAX_SUBSCRIBED_TYPES = 16;
/** The uid the device runs whitelisted queries under for contexts without their own. */
const WHITELIST_UID = 0xfffe;

/** Kinds whose legacy queue events (path migration, drained, WQ errors...) name them. */
const QUEUE_KINDS = new Set(['QP', 'DCT', 'SQ', 'RQ', 'SRQ', 'XRC_SRQ', 'RMP', 'XRQ']);
const QUEUE_EVENTS = new Set<number>([
  Mlx5Event.PATH_MIG, Mlx5Event.COMM_EST, Mlx5Event.SQ_DRAINED, Mlx5Event.SRQ_LAST_WQE, Mlx5Event.SRQ_RQ_LIMIT, Mlx5Event.WQ_CATAS_ERROR,
  Mlx5Event.PATH_MIG_FAILED, Mlx5Event.WQ_INVAL_REQ_ERROR, Mlx5Event.WQ_ACCESS_ERROR, Mlx5Event.SRQ_CATAS_ERROR, Mlx5Event.DCT_DRAINED,
  Mlx5Event.DCT_KEY_VIOLATION, Mlx5Event.XRQ_ERROR,
]);

/** is_valid_events: whether `type` may be subscribed for `obj` (or unaffiliated). */
function validEvent(s: Mlx5State, type: number, obj: DevxObj | undefined): boolean {
  if (!obj) return s.caps.unaffiliatedEvents.includes(type);
  if (!s.caps.affiliatedEvents.includes(type)) return false;
  if (type === Mlx5Event.COMP || type === Mlx5Event.CQ_ERROR) return obj.kind.name === 'CQ';
  if (QUEUE_EVENTS.has(type)) return QUEUE_KINDS.has(obj.kind.name);
  return true;
}

/** The answer of a general command, as the emulated firmware fills it. */
function generalAnswer(cmd: Mailbox, len: number): Mailbox {
  const out = Mailbox.zeroed(len);
  switch (cmd.opcode) {
    case Op.QUERY_ISSI:
      out.set16(0x0a, 1);
      out.set32(0x6c, 0b11);
      break;
    case Op.QUERY_VPORT_STATE:
      out.set8(0x0f, 0x11); // admin state up, operational state up
      break;
  }
  return out;
}

export const devxHandlers = {
  mlx5DevxOther(b: Bundle): void {
    const A = UVERBS_ATTRS_DEVX_OTHER;
    const s = mlx5State(b.device);
    const ctx = mlx5ContextOf(b.file);
    const cmd = new Mailbox(bytesOf(b, A.cmd_in));
    let uid: number;
    if (WHITELIST_COMMANDS.has(cmd.opcode)) {
      if (!s.caps.devx) fail(EOPNOTSUPP, 'the device has no DEVX uid to run the query under');
      uid = ctx.uid !== 0 ? ctx.uid : WHITELIST_UID;
    } else uid = devxUid(b.file);
    const op = cmd.opcode;
    if (!GENERAL_COMMANDS.has(op) && !(op >= Op.GENERAL_START && op < Op.GENERAL_END)) fail(EINVAL, `opcode 0x${op.toString(16)} is not a general command`);
    cmd.set16(2, uid);
    const out = generalAnswer(cmd, b.len(A.cmd_out));
    b.output(A.cmd_out, out.length, (v, o) => new Uint8Array(v.buffer, v.byteOffset + o, out.length).set(out.bytes));
  },

  mlx5DevxQueryUar(b: Bundle): void {
    const A = UVERBS_ATTRS_DEVX_QUERY_UAR;
    const ctx = mlx5ContextOf(b.file);
    b.outputU32(A.dev_idx, ctx.dynamicUar(mlx5State(b.device), b.u32(A.user_idx)));
  },

  mlx5DevxQueryEqn(b: Bundle): void {
    const A = UVERBS_ATTRS_DEVX_QUERY_EQN;
    const s = mlx5State(b.device);
    mlx5ContextOf(b.file);
    const vector = b.u32(A.user_vec);
    if (vector >= s.caps.numCompVectors) fail(EINVAL, `completion vector ${vector} is not below ${s.caps.numCompVectors}`);
    b.outputU32(A.dev_eqn, s.caps.firstCompEqn + vector);
  },

  mlx5DevxSubscribeEvent(b: Bundle): void {
    const A = UVERBS_ATTRS_DEVX_SUBSCRIBE_EVENT;
    const s = mlx5State(b.device);
    devxUid(b.file);
    const channel = recordOf<DevxEventChannel>(b.uobject(A.fd_handle), 'DEVX_ASYNC_EVENT_FD');
    const objU = b.optionalUobject(A.obj_handle);
    const obj = objU ? recordOf<DevxObj>(objU, 'DEVX_OBJ') : undefined;
    const list = b.input(A.type_num_list);
    if (list.len % 2 !== 0) fail(EINVAL, `type_num_list is ${list.len} bytes, not whole u16s`);
    const count = list.len / 2;
    if (count > MAX_SUBSCRIBED_TYPES) fail(EINVAL, `${count} event types are more than ${MAX_SUBSCRIBED_TYPES}`);
    const types = new Set<number>();
    for (let i = 0; i < count; i++) types.add(list.view.getUint16(list.offset + 2 * i, true));
    if (b.has(A.fd_num) && b.has(A.cookie)) fail(EINVAL, 'fd_num and cookie exclude each other');
    for (const t of types) {
      if (!validEvent(s, t, obj)) fail(EINVAL, `event type 0x${t.toString(16)} cannot be subscribed ${obj ? `for a ${obj.kind.name}` : 'unaffiliated'}`);
    }
    if (b.has(A.fd_num)) {
      // eventfd_ctx_fdget: the emulated process has no eventfds, so an open fd is the wrong kind of file.
      const fd = b.u32(A.fd_num) | 0;
      const open = b.file.process.isOpen(fd);
      fail(open ? EINVAL : EBADF, `fd ${fd} is ${open ? 'not an eventfd' : 'not open'}`);
    }
    const sub: Subscription = { channel, obj, types, cookie: b.has(A.cookie) ? b.u64(A.cookie) : 0n, queued: false };
    channel.subscriptions.add(sub);
    obj?.subscriptions.add(sub);
  },
};
