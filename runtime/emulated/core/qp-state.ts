/**
 * The QP state machine of MODIFY_QP and what QUERY_QP reports.
 *
 * modifyQp makes the checks of the kernel, in its order: uverbs' (ports named valid, the
 * address vector's port that of the QP on INIT->RTR, states in range, no privileged
 * Q_Key), the core's (the source GID of a global address exists, alternate paths only
 * on InfiniBand), then the device's: the transition and its attribute mask are allowed
 * for the QP's type (ib_modify_qp_is_ok: the table of IB spec section 11.2.4.1 as Linux
 * writes it), and the values fit the device (P_Key index, path MTU, outstanding RDMA
 * reads, a GRH on RoCE). Then it keeps the attributes and enters the new state, whose
 * effects on the work queues (flush on ERR, emptied on RESET, resumed on RTS) are the
 * data path's (datapath.ts).
 */
import { IB_UVERBS_QP_CREATE_FLAGS, IB_UVERBS_QP_TYPE as QPT } from '../../../generated/core/enums.js';
import type { IbUverbsModifyQp, IbUverbsQpDest, IbUverbsQpDestInit, IbUverbsQueryQpResp, IbUverbsQueryQpRespInit } from '../../../generated/core/structs.js';
import { EINVAL, ENODATA, EOPNOTSUPP, EPERM, fail } from '../../abi/errno.js';
import { LinkLayer, Mtu } from './caps.js';
import { enterState } from './datapath.js';
import { portOf } from './port.js';
import type { Qp } from './qp.js';
import type { CoreState } from './state.js';
import { PRIVILEGED_QKEY_BIT, QP_ATTR_STANDARD_BITS, QpAttrMask as M, QpState as S, type QpStateId } from './verbs.js';

/** The attributes a QP keeps (struct ib_qp_attr), named and typed as ib_uverbs_query_qp_resp reports them. */
export type QpAttr = Pick<IbUverbsQueryQpResp,
  | 'pathMtu' | 'pathMigState' | 'qkey' | 'rqPsn' | 'sqPsn' | 'destQpNum' | 'qpAccessFlags' | 'dest' | 'altDest' | 'pkeyIndex' | 'altPkeyIndex'
  | 'maxRdAtomic' | 'maxDestRdAtomic' | 'minRnrTimer' | 'portNum' | 'timeout' | 'retryCnt' | 'rnrRetry' | 'altPortNum' | 'altTimeout'
> & {
  qpState: QpStateId;
  /** EX_MODIFY_QP's rate limit (IB_QP_RATE_LIMIT). */
  rateLimit: number;
};

/**
 * What MODIFY_QP (or EX_MODIFY_QP) gives: the fields of ib_uverbs_modify_qp (a decoded
 * request fits as it is), each used when its mask bit is set, and EX_MODIFY_QP's
 * rate_limit.
 */
export type ModifyQpAttr = Partial<Omit<IbUverbsModifyQp, 'qpHandle' | 'attrMask' | 'reserved' | 'dest' | 'altDest'>> & {
  readonly dest?: IbUverbsQpDestInit;
  readonly altDest?: IbUverbsQpDestInit;
  readonly rateLimit?: number;
};

function addressVector(d: IbUverbsQpDestInit = {}): IbUverbsQpDest {
  const global = (d.isGlobal ?? 0) !== 0;
  return {
    dgid: global ? Uint8Array.from(d.dgid ?? new Uint8Array(16)) : new Uint8Array(16),
    flowLabel: global ? (d.flowLabel ?? 0) : 0,
    dlid: d.dlid ?? 0,
    reserved: 0,
    sgidIndex: global ? (d.sgidIndex ?? 0) : 0,
    hopLimit: global ? (d.hopLimit ?? 0) : 0,
    trafficClass: global ? (d.trafficClass ?? 0) : 0,
    sl: d.sl ?? 0,
    srcPathBits: d.srcPathBits ?? 0,
    staticRate: d.staticRate ?? 0,
    isGlobal: global ? 1 : 0,
    portNum: d.portNum ?? 0,
  };
}

/** A QP's attributes in RESET: all zero. */
export function initialQpAttr(): QpAttr {
  return {
    qpState: S.RESET, pathMtu: 0, pathMigState: 0, qkey: 0, rqPsn: 0, sqPsn: 0, destQpNum: 0, qpAccessFlags: 0,
    dest: addressVector(), altDest: addressVector(), pkeyIndex: 0, altPkeyIndex: 0, maxRdAtomic: 0,
    maxDestRdAtomic: 0, minRnrTimer: 0, portNum: 0, timeout: 0, retryCnt: 0, rnrRetry: 0, altPortNum: 0, altTimeout: 0, rateLimit: 0,
  };
}

/** Required and optional attributes of one transition, by QP type. */
interface Transition {
  readonly req?: Readonly<Partial<Record<number, number>>>;
  readonly opt?: Readonly<Partial<Record<number, number>>>;
}

const CONNECTED_INIT = M.PKEY_INDEX | M.PORT | M.ACCESS_FLAGS;
const CONNECTED_RTR = M.AV | M.PATH_MTU | M.DEST_QPN | M.RQ_PSN;
const RC_RTR = CONNECTED_RTR | M.MAX_DEST_RD_ATOMIC | M.MIN_RNR_TIMER;
const RC_RTS = M.TIMEOUT | M.RETRY_CNT | M.RNR_RETRY | M.SQ_PSN | M.MAX_QP_RD_ATOMIC;
const RTS_OPT_UC = M.CUR_STATE | M.ALT_PATH | M.ACCESS_FLAGS | M.PATH_MIG_STATE;
const RTS_OPT_RC = RTS_OPT_UC | M.MIN_RNR_TIMER;
const RTR_OPT_CONNECTED = M.ALT_PATH | M.ACCESS_FLAGS | M.PKEY_INDEX;
const UD_OPT = M.CUR_STATE | M.QKEY;
const SQD_NOTIFY = M.EN_SQD_ASYNC_NOTIFY;

/** ib_modify_qp_is_ok's table: key `cur * 8 + next`, present for the transitions allowed. */
const TRANSITIONS = new Map<number, Transition>([
  [S.RESET * 8 + S.RESET, {}],
  [S.RESET * 8 + S.INIT, {
    req: {
      [QPT.IB_UVERBS_QPT_UD]: M.PKEY_INDEX | M.PORT | M.QKEY, [QPT.IB_UVERBS_QPT_RAW_PACKET]: M.PORT, [QPT.IB_UVERBS_QPT_UC]: CONNECTED_INIT,
      [QPT.IB_UVERBS_QPT_RC]: CONNECTED_INIT, [QPT.IB_UVERBS_QPT_XRC_INI]: CONNECTED_INIT, [QPT.IB_UVERBS_QPT_XRC_TGT]: CONNECTED_INIT,
    },
  }],
  [S.INIT * 8 + S.RESET, {}],
  [S.INIT * 8 + S.ERR, {}],
  [S.INIT * 8 + S.INIT, {
    opt: {
      [QPT.IB_UVERBS_QPT_UD]: M.PKEY_INDEX | M.PORT | M.QKEY, [QPT.IB_UVERBS_QPT_UC]: CONNECTED_INIT, [QPT.IB_UVERBS_QPT_RC]: CONNECTED_INIT,
      [QPT.IB_UVERBS_QPT_XRC_INI]: CONNECTED_INIT, [QPT.IB_UVERBS_QPT_XRC_TGT]: CONNECTED_INIT,
    },
  }],
  [S.INIT * 8 + S.RTR, {
    req: {
      [QPT.IB_UVERBS_QPT_UC]: CONNECTED_RTR, [QPT.IB_UVERBS_QPT_RC]: RC_RTR, [QPT.IB_UVERBS_QPT_XRC_INI]: CONNECTED_RTR, [QPT.IB_UVERBS_QPT_XRC_TGT]: RC_RTR,
    },
    opt: {
      [QPT.IB_UVERBS_QPT_UD]: M.PKEY_INDEX | M.QKEY, [QPT.IB_UVERBS_QPT_UC]: RTR_OPT_CONNECTED, [QPT.IB_UVERBS_QPT_RC]: RTR_OPT_CONNECTED | M.RATE_LIMIT,
      [QPT.IB_UVERBS_QPT_XRC_INI]: RTR_OPT_CONNECTED, [QPT.IB_UVERBS_QPT_XRC_TGT]: RTR_OPT_CONNECTED,
    },
  }],
  [S.RTR * 8 + S.RESET, {}],
  [S.RTR * 8 + S.ERR, {}],
  [S.RTR * 8 + S.RTS, {
    req: {
      [QPT.IB_UVERBS_QPT_UD]: M.SQ_PSN, [QPT.IB_UVERBS_QPT_UC]: M.SQ_PSN, [QPT.IB_UVERBS_QPT_RC]: RC_RTS, [QPT.IB_UVERBS_QPT_XRC_INI]: RC_RTS,
      [QPT.IB_UVERBS_QPT_XRC_TGT]: M.TIMEOUT | M.SQ_PSN,
    },
    opt: {
      [QPT.IB_UVERBS_QPT_UD]: UD_OPT, [QPT.IB_UVERBS_QPT_UC]: RTS_OPT_UC, [QPT.IB_UVERBS_QPT_RC]: RTS_OPT_RC | M.RATE_LIMIT,
      [QPT.IB_UVERBS_QPT_XRC_INI]: RTS_OPT_UC, [QPT.IB_UVERBS_QPT_XRC_TGT]: RTS_OPT_RC, [QPT.IB_UVERBS_QPT_RAW_PACKET]: M.RATE_LIMIT,
    },
  }],
  [S.RTS * 8 + S.RESET, {}],
  [S.RTS * 8 + S.ERR, {}],
  [S.RTS * 8 + S.RTS, {
    opt: {
      [QPT.IB_UVERBS_QPT_UD]: UD_OPT, [QPT.IB_UVERBS_QPT_UC]: RTS_OPT_UC, [QPT.IB_UVERBS_QPT_RC]: RTS_OPT_RC | M.RATE_LIMIT,
      [QPT.IB_UVERBS_QPT_XRC_INI]: RTS_OPT_UC, [QPT.IB_UVERBS_QPT_XRC_TGT]: RTS_OPT_RC, [QPT.IB_UVERBS_QPT_RAW_PACKET]: M.RATE_LIMIT,
    },
  }],
  [S.RTS * 8 + S.SQD, {
    opt: {
      [QPT.IB_UVERBS_QPT_UD]: SQD_NOTIFY, [QPT.IB_UVERBS_QPT_UC]: SQD_NOTIFY, [QPT.IB_UVERBS_QPT_RC]: SQD_NOTIFY,
      [QPT.IB_UVERBS_QPT_XRC_INI]: SQD_NOTIFY, [QPT.IB_UVERBS_QPT_XRC_TGT]: SQD_NOTIFY,
    },
  }],
  [S.SQD * 8 + S.RESET, {}],
  [S.SQD * 8 + S.ERR, {}],
  [S.SQD * 8 + S.RTS, {
    opt: {
      [QPT.IB_UVERBS_QPT_UD]: UD_OPT, [QPT.IB_UVERBS_QPT_UC]: RTS_OPT_UC, [QPT.IB_UVERBS_QPT_RC]: RTS_OPT_RC,
      [QPT.IB_UVERBS_QPT_XRC_INI]: RTS_OPT_UC, [QPT.IB_UVERBS_QPT_XRC_TGT]: RTS_OPT_RC,
    },
  }],
  [S.SQD * 8 + S.SQD, {
    opt: {
      [QPT.IB_UVERBS_QPT_UD]: M.PKEY_INDEX | M.QKEY,
      [QPT.IB_UVERBS_QPT_UC]: M.AV | M.ALT_PATH | M.ACCESS_FLAGS | M.PKEY_INDEX | M.PATH_MIG_STATE,
      [QPT.IB_UVERBS_QPT_RC]: M.PORT | M.AV | RC_RTS & ~M.SQ_PSN | M.MAX_DEST_RD_ATOMIC | M.ALT_PATH | M.ACCESS_FLAGS | M.PKEY_INDEX
        | M.MIN_RNR_TIMER | M.PATH_MIG_STATE,
      [QPT.IB_UVERBS_QPT_XRC_INI]: M.PORT | M.AV | RC_RTS & ~M.SQ_PSN | M.ALT_PATH | M.ACCESS_FLAGS | M.PKEY_INDEX | M.PATH_MIG_STATE,
      [QPT.IB_UVERBS_QPT_XRC_TGT]: M.PORT | M.AV | M.TIMEOUT | M.MAX_DEST_RD_ATOMIC | M.ALT_PATH | M.ACCESS_FLAGS | M.PKEY_INDEX
        | M.MIN_RNR_TIMER | M.PATH_MIG_STATE,
    },
  }],
  [S.SQE * 8 + S.RESET, {}],
  [S.SQE * 8 + S.ERR, {}],
  [S.SQE * 8 + S.RTS, { opt: { [QPT.IB_UVERBS_QPT_UD]: UD_OPT, [QPT.IB_UVERBS_QPT_UC]: M.CUR_STATE | M.ACCESS_FLAGS } }],
  [S.ERR * 8 + S.RESET, {}],
  [S.ERR * 8 + S.ERR, {}],
]);

/** ib_modify_qp_is_ok: whether a QP of `qpType` may go from `cur` to `next` with the attributes of `mask`. */
export function isModifyOk(cur: number, next: number, qpType: number, mask: number): boolean {
  if ((mask & M.CUR_STATE) !== 0 && cur !== S.RTR && cur !== S.RTS && cur !== S.SQD && cur !== S.SQE) return false;
  const t = TRANSITIONS.get(cur * 8 + next);
  if (!t) return false;
  const req = t.req?.[qpType] ?? 0;
  const opt = t.opt?.[qpType] ?? 0;
  return (mask & req) === req && (mask & ~(req | opt | M.STATE)) === 0;
}

/** modify_qp_mask: attributes the XRC types ignore, taken out before the checks. */
function typeMask(qpType: number, mask: number): number {
  if (qpType === QPT.IB_UVERBS_QPT_XRC_INI) return mask & ~(M.MAX_DEST_RD_ATOMIC | M.MIN_RNR_TIMER);
  if (qpType === QPT.IB_UVERBS_QPT_XRC_TGT) return mask & ~(M.MAX_QP_RD_ATOMIC | M.RETRY_CNT | M.RNR_RETRY);
  return mask;
}

/** rdma_fill_sgid_attr for a global address: the source GID must be a populated entry of the port's table. */
function checkSgid(s: CoreState, av: IbUverbsQpDestInit, what: string): void {
  if (!av.isGlobal) return;
  const port = portOf(s, av.portNum ?? 0);
  const index = av.sgidIndex ?? 0;
  if (index >= port.gidTblLen) fail(EINVAL, `${what}: SGID index ${index} is beyond port ${av.portNum}'s table of ${port.gidTblLen}`);
  if (!port.gids.some((g) => g.index === index)) fail(ENODATA, `${what}: SGID index ${index} of port ${av.portNum} is empty`);
}

/**
 * MODIFY_QP: checks the request (see the file's comment for the order), keeps the
 * attributes `mask` names and moves the QP to its new state. `mask` is the IB_QP_*
 * mask (QpAttrMask); RATE_LIMIT is EX_MODIFY_QP's, which the plain command must refuse
 * itself (EOPNOTSUPP for bits outside QP_ATTR_STANDARD_BITS). Errors: EOPNOTSUPP for
 * unknown mask bits, EINVAL for a transition or mask the QP's type does not allow and
 * for values the device does not have, ENODATA for an empty source GID, EPERM for a
 * privileged Q_Key.
 */
export function modifyQp(s: CoreState, qp: Qp, attrMask: number, a: ModifyQpAttr): void {
  let mask = attrMask;
  if ((mask & ~(QP_ATTR_STANDARD_BITS | M.RATE_LIMIT)) !== 0) fail(EOPNOTSUPP, `attr_mask 0x${mask.toString(16)} has bits MODIFY_QP does not define`);
  let portNum = a.portNum ?? 0;
  if (mask & M.PORT) portOf(s, portNum);
  if (mask & M.AV) {
    const avPort = a.dest?.portNum ?? 0;
    portOf(s, avPort);
    if ((mask & M.STATE) !== 0 && a.qpState === S.RTR) {
      if (avPort !== qp.attr.portNum) fail(EINVAL, `the address vector's port ${avPort} is not the QP's port ${qp.attr.portNum}`);
    } else {
      if ((mask & M.PORT) !== 0 && portNum !== avPort) fail(EINVAL, `port ${portNum} and the address vector's port ${avPort} differ`);
      if ((mask & M.PORT) === 0) {
        mask |= M.PORT;
        portNum = avPort;
      }
    }
  }
  if (mask & M.ALT_PATH) {
    const altAv = a.altDest?.portNum ?? 0;
    portOf(s, a.altPortNum ?? 0);
    portOf(s, altAv);
    if (a.altPortNum !== altAv) fail(EINVAL, `alt_port_num ${a.altPortNum} and the alternate address vector's port ${altAv} differ`);
  }
  if (((mask & M.CUR_STATE) !== 0 && (a.curQpState ?? 0) > S.ERR) || ((mask & M.STATE) !== 0 && (a.qpState ?? 0) > S.ERR)) {
    fail(EINVAL, 'a QP state is one of 0 (RESET) .. 6 (ERR)');
  }
  if ((mask & M.QKEY) !== 0 && ((a.qkey ?? 0) & PRIVILEGED_QKEY_BIT) !== 0) fail(EPERM, `Q_Key 0x${(a.qkey ?? 0).toString(16)} is privileged`);
  mask = typeMask(qp.qpType, mask);

  // The core's checks (_ib_modify_qp).
  if (mask & M.AV) checkSgid(s, a.dest ?? {}, 'address vector');
  if (mask & M.ALT_PATH) {
    checkSgid(s, a.altDest ?? {}, 'alternate address vector');
    const port = (mask & M.PORT) !== 0 ? portNum : qp.attr.portNum;
    if (portOf(s, a.altPortNum ?? 0).linkLayer !== LinkLayer.INFINIBAND || portOf(s, port).linkLayer !== LinkLayer.INFINIBAND) {
      fail(EINVAL, 'alternate paths are for InfiniBand ports only');
    }
  }

  // The device's checks.
  const cur = (mask & M.CUR_STATE) !== 0 ? (a.curQpState ?? 0) : qp.attr.qpState;
  const next = (mask & M.STATE) !== 0 ? (a.qpState ?? 0) : cur;
  if (cur !== qp.attr.qpState) fail(EINVAL, `cur_qp_state ${cur} is not the QP's state ${qp.attr.qpState}`);
  if (!isModifyOk(cur, next, qp.qpType, mask)) fail(EINVAL, `a QP of type ${qp.qpType} cannot go from state ${cur} to ${next} with attr_mask 0x${mask.toString(16)}`);
  const qpPort = (mask & M.PORT) !== 0 ? portNum : qp.attr.portNum;
  if ((mask & M.PKEY_INDEX) !== 0) {
    const tbl = portOf(s, qpPort).pkeyTblLen;
    if ((a.pkeyIndex ?? 0) >= tbl) fail(EINVAL, `P_Key index ${a.pkeyIndex} is beyond port ${qpPort}'s table of ${tbl}`);
  }
  if ((mask & M.MAX_QP_RD_ATOMIC) !== 0 && (a.maxRdAtomic ?? 0) > s.caps.maxQpInitRdAtom) {
    fail(EINVAL, `max_rd_atomic ${a.maxRdAtomic} is above the device's ${s.caps.maxQpInitRdAtom}`);
  }
  if ((mask & M.MAX_DEST_RD_ATOMIC) !== 0 && (a.maxDestRdAtomic ?? 0) > s.caps.maxQpRdAtom) {
    fail(EINVAL, `max_dest_rd_atomic ${a.maxDestRdAtomic} is above the device's ${s.caps.maxQpRdAtom}`);
  }
  if (cur === S.RESET && next === S.RESET) return;
  if ((mask & M.PATH_MTU) !== 0) {
    const mtu = a.pathMtu ?? 0;
    const max = portOf(s, qpPort).maxMtu;
    if (mtu < Mtu.MTU_256 || mtu > max) fail(EINVAL, `path MTU ${mtu} is not in ${Mtu.MTU_256}..${max} (256 bytes .. port ${qpPort}'s largest)`);
  }
  if ((mask & M.AV) !== 0 && portOf(s, a.dest?.portNum ?? 0).linkLayer === LinkLayer.ETHERNET && !a.dest?.isGlobal) {
    fail(EINVAL, 'an address vector on a RoCE port needs a GRH (is_global)');
  }

  keep(qp.attr, mask, a, portNum);
  enterState(s, qp, cur, next, (mask & M.EN_SQD_ASYNC_NOTIFY) !== 0 && (a.enSqdAsyncNotify ?? 0) !== 0);
}

/** Stores the attributes `mask` names; PSNs are 24 bits on IB and RoCE. */
function keep(t: QpAttr, mask: number, a: ModifyQpAttr, portNum: number): void {
  if (mask & M.PATH_MTU) t.pathMtu = a.pathMtu ?? 0;
  if (mask & M.PATH_MIG_STATE) t.pathMigState = a.pathMigState ?? 0;
  if (mask & M.QKEY) t.qkey = a.qkey ?? 0;
  if (mask & M.RQ_PSN) t.rqPsn = (a.rqPsn ?? 0) & 0xffffff;
  if (mask & M.SQ_PSN) t.sqPsn = (a.sqPsn ?? 0) & 0xffffff;
  if (mask & M.DEST_QPN) t.destQpNum = a.destQpNum ?? 0;
  if (mask & M.ACCESS_FLAGS) t.qpAccessFlags = a.qpAccessFlags ?? 0;
  if (mask & M.PKEY_INDEX) t.pkeyIndex = a.pkeyIndex ?? 0;
  if (mask & M.MAX_QP_RD_ATOMIC) t.maxRdAtomic = a.maxRdAtomic ?? 0;
  if (mask & M.MAX_DEST_RD_ATOMIC) t.maxDestRdAtomic = a.maxDestRdAtomic ?? 0;
  if (mask & M.MIN_RNR_TIMER) t.minRnrTimer = a.minRnrTimer ?? 0;
  if (mask & M.PORT) t.portNum = portNum;
  if (mask & M.TIMEOUT) t.timeout = a.timeout ?? 0;
  if (mask & M.RETRY_CNT) t.retryCnt = a.retryCnt ?? 0;
  if (mask & M.RNR_RETRY) t.rnrRetry = a.rnrRetry ?? 0;
  if (mask & M.ALT_PATH) {
    t.altPortNum = a.altPortNum ?? 0;
    t.altTimeout = a.altTimeout ?? 0;
    t.altPkeyIndex = a.altPkeyIndex ?? 0;
    t.altDest = addressVector(a.altDest);
  }
  if (mask & M.RATE_LIMIT) t.rateLimit = a.rateLimit ?? 0;
  if (mask & M.AV) t.dest = addressVector(a.dest);
}

/**
 * QUERY_QP: the QP's state and attributes and its capabilities, in the shape of
 * ib_uverbs_query_qp_resp. cur_qp_state is the state itself; the send queue is never
 * draining (the emulated device carries a request out at once, see datapath.ts).
 */
export function queryQp(qp: Qp): IbUverbsQueryQpRespInit {
  const t = qp.attr;
  return {
    dest: t.dest,
    altDest: t.altDest,
    maxSendWr: qp.cap.maxSendWr,
    maxRecvWr: qp.cap.maxRecvWr,
    maxSendSge: qp.cap.maxSendSge,
    maxRecvSge: qp.cap.maxRecvSge,
    maxInlineData: qp.cap.maxInlineData,
    qkey: t.qkey,
    rqPsn: t.rqPsn,
    sqPsn: t.sqPsn,
    destQpNum: t.destQpNum,
    qpAccessFlags: t.qpAccessFlags,
    pkeyIndex: t.pkeyIndex,
    altPkeyIndex: t.altPkeyIndex,
    qpState: t.qpState,
    curQpState: t.qpState,
    pathMtu: t.pathMtu,
    pathMigState: t.pathMigState,
    sqDraining: 0,
    maxRdAtomic: t.maxRdAtomic,
    maxDestRdAtomic: t.maxDestRdAtomic,
    minRnrTimer: t.minRnrTimer,
    portNum: t.portNum,
    timeout: t.timeout,
    retryCnt: t.retryCnt,
    rnrRetry: t.rnrRetry,
    altPortNum: t.altPortNum,
    altTimeout: t.altTimeout,
    sqSigAll: (qp.createFlags & IB_UVERBS_QP_CREATE_FLAGS.IB_UVERBS_QP_CREATE_SQ_SIG_ALL) !== 0 ? 1 : 0,
  };
}
