/**
 * write() commands that create and destroy QPs: CREATE_QP, EX_CREATE_QP, OPEN_QP,
 * DESTROY_QP, over the records ioctl's QP actions use (qp.ts) and shared QPs
 * (shared-qp.ts).
 */
import { IB_UVERBS_CREATE_QP_MASK, IB_UVERBS_CREATE_QP_MASK_MASK, IB_UVERBS_QP_CREATE_FLAGS, IB_UVERBS_QP_TYPE as QPT, IB_UVERBS_SRQ_TYPE } from '../../../../generated/core/enums.js';
import { UVERBS_OBJECT } from '../../../../generated/core/ids.js';
import {
  decodeIbUverbsCreateQp, decodeIbUverbsDestroyQp, decodeIbUverbsExCreateQp, decodeIbUverbsOpenQp, encodeIbUverbsCreateQpResp, encodeIbUverbsDestroyQpResp,
  encodeIbUverbsExCreateQpResp, IB_UVERBS_EX_CREATE_QP_RESP_SIZE, type IbUverbsExCreateQp,
} from '../../../../generated/core/structs.js';
import type { WriteHandler } from '../../../kernel/device.js';
import { EINVAL, EPERM, fail } from '../../../abi/errno.js';
import type { WriteBundle } from '../../../kernel/write-bundle.js';
import type { Cq } from '../cq.js';
import type { Pd, Xrcd } from '../pd.js';
import { newQp, type Qp } from '../qp.js';
import { openSharedQp } from '../shared-qp.js';
import type { Srq } from '../srq.js';
import { recordOf, type CoreState } from '../state.js';
import type { RwqIndTbl } from '../wq.js';
import { readRecord, responseLength, typeOf, writeContext } from './common.js';

/** The kernel's ib_qp_create_flags that write()'s create_flags may carry. */
export const IB_QP_CREATE = {
  BLOCK_MULTICAST_LOOPBACK: 1 << 1,
  CROSS_CHANNEL: 1 << 2,
  MANAGED_SEND: 1 << 3,
  MANAGED_RECV: 1 << 4,
  SCATTER_FCS: 1 << 8,
  CVLAN_STRIPPING: 1 << 9,
  SOURCE_QPN: 1 << 10,
  PCI_WRITE_END_PADDING: 1 << 11,
} as const;
const USER_CREATE_FLAGS = Object.values(IB_QP_CREATE).reduce((m, f) => m | f, 0);

/**
 * create_qp, shared by CREATE_QP and EX_CREATE_QP, in the kernel's order: the type
 * (EINVAL, RAW_PACKET without CAP_NET_RAW EPERM), the object, the indirection table,
 * the XRCD of an XRC target (named by pd_handle) or the SRQ, receive CQ, send CQ and PD
 * (every lookup EINVAL), the create flags (EINVAL, SOURCE_QPN without CAP_NET_RAW EPERM),
 * then the device's QP. The response is the extended one, as much as the room takes.
 */
function createQp(s: CoreState, wb: WriteBundle, cmd: IbUverbsExCreateQp): void {
  const p = wb.file.process;
  switch (cmd.qpType) {
    case QPT.IB_UVERBS_QPT_RAW_PACKET:
      if (!s.mayUseRawPacket(p)) fail(EPERM, 'RAW_PACKET QPs need CAP_NET_RAW');
      break;
    case QPT.IB_UVERBS_QPT_RC:
    case QPT.IB_UVERBS_QPT_UC:
    case QPT.IB_UVERBS_QPT_UD:
    case QPT.IB_UVERBS_QPT_XRC_INI:
    case QPT.IB_UVERBS_QPT_XRC_TGT:
    case QPT.IB_UVERBS_QPT_DRIVER:
      break;
    default:
      fail(EINVAL, `QP type ${cmd.qpType} is not one of ib_uverbs_qp_type`);
  }
  const u = wb.create(typeOf(wb, UVERBS_OBJECT.QP));
  const ctx = writeContext(wb);
  const indTbl = (cmd.compMask & IB_UVERBS_CREATE_QP_MASK.IB_UVERBS_CREATE_QP_MASK_IND_TABLE) !== 0
    ? readRecord<RwqIndTbl>(wb, UVERBS_OBJECT.RWQ_IND_TBL, cmd.rwqIndTblHandle, 'RWQ_IND_TBL')
    : undefined;
  if (indTbl && (cmd.maxRecvWr !== 0 || cmd.maxRecvSge !== 0 || cmd.isSrq !== 0)) fail(EINVAL, 'a QP with an indirection table has no receive queue or SRQ');
  const hasSq = !indTbl || cmd.maxSendWr !== 0;
  const cap = { maxSendWr: cmd.maxSendWr, maxRecvWr: cmd.maxRecvWr, maxSendSge: cmd.maxSendSge, maxRecvSge: cmd.maxRecvSge, maxInlineData: cmd.maxInlineData };

  let xrcd: Xrcd | undefined;
  let pd: Pd | undefined;
  let srq: Srq | undefined;
  let sendCq: Cq | undefined;
  let recvCq: Cq | undefined;
  if (cmd.qpType === QPT.IB_UVERBS_QPT_XRC_TGT) {
    xrcd = readRecord<Xrcd>(wb, UVERBS_OBJECT.XRCD, cmd.pdHandle, 'XRCD');
  } else {
    if (cmd.qpType === QPT.IB_UVERBS_QPT_XRC_INI) {
      cap.maxRecvWr = 0;
      cap.maxRecvSge = 0;
    } else {
      if (cmd.isSrq !== 0) {
        srq = readRecord<Srq>(wb, UVERBS_OBJECT.SRQ, cmd.srqHandle, 'SRQ');
        if (srq.srqType === IB_UVERBS_SRQ_TYPE.IB_UVERBS_SRQT_XRC) fail(EINVAL, 'an XRC SRQ serves XRC target QPs only');
      }
      if (!indTbl && cmd.recvCqHandle !== cmd.sendCqHandle) recvCq = readRecord<Cq>(wb, UVERBS_OBJECT.CQ, cmd.recvCqHandle, 'CQ');
    }
    if (hasSq) sendCq = readRecord<Cq>(wb, UVERBS_OBJECT.CQ, cmd.sendCqHandle, 'CQ');
    if (!indTbl && cmd.qpType !== QPT.IB_UVERBS_QPT_XRC_INI) recvCq ??= sendCq;
    pd = readRecord<Pd>(wb, UVERBS_OBJECT.PD, cmd.pdHandle, 'PD');
  }

  if ((cmd.createFlags & ~USER_CREATE_FLAGS) !== 0) fail(EINVAL, `create_flags 0x${cmd.createFlags.toString(16)} have bits beyond 0x${USER_CREATE_FLAGS.toString(16)}`);
  let sourceQpn: number | undefined;
  if ((cmd.createFlags & IB_QP_CREATE.SOURCE_QPN) !== 0) {
    if (!s.mayUseRawPacket(p)) fail(EPERM, 'a source QP number needs CAP_NET_RAW');
    sourceQpn = cmd.sourceQpn;
  }
  // The record keeps sq_sig_all as ioctl's QP_CREATE passes it: the SQ_SIG_ALL bit of its flags.
  const createFlags = cmd.createFlags | (cmd.sqSigAll !== 0 ? IB_UVERBS_QP_CREATE_FLAGS.IB_UVERBS_QP_CREATE_SQ_SIG_ALL : 0);
  const qp = newQp(s, {
    qpType: cmd.qpType, pd, xrcd, sendCq, recvCq, srq, indTbl, cap, createFlags, sourceQpn, userHandle: cmd.userHandle, eventFile: ctx.defaultAsyncEvent,
  });
  u.object = qp;
  u.userHandle = cmd.userHandle;
  wb.respond(
    (v, o) => encodeIbUverbsExCreateQpResp(v, o, { base: { qpHandle: u.id, qpn: qp.qpn, ...qp.cap }, responseLength: responseLength(wb, IB_UVERBS_EX_CREATE_QP_RESP_SIZE) }),
    IB_UVERBS_EX_CREATE_QP_RESP_SIZE,
  );
}

/** The write() handlers that create and destroy QPs, over `s`. */
export function qpWriteHandlers(s: CoreState): Record<'writeCreateQp' | 'writeExCreateQp' | 'writeOpenQp' | 'writeDestroyQp', WriteHandler> {
  return {
    writeCreateQp(wb) {
      const c = wb.request(decodeIbUverbsCreateQp);
      createQp(s, wb, {
        userHandle: c.userHandle, pdHandle: c.pdHandle, sendCqHandle: c.sendCqHandle, recvCqHandle: c.recvCqHandle, srqHandle: c.srqHandle,
        maxSendWr: c.maxSendWr, maxRecvWr: c.maxRecvWr, maxSendSge: c.maxSendSge, maxRecvSge: c.maxRecvSge, maxInlineData: c.maxInlineData,
        sqSigAll: c.sqSigAll, qpType: c.qpType, isSrq: c.isSrq, reserved: 0, compMask: 0, createFlags: 0, rwqIndTblHandle: 0, sourceQpn: 0,
      });
    },

    writeExCreateQp(wb) {
      const cmd = wb.request(decodeIbUverbsExCreateQp);
      if ((cmd.compMask & ~IB_UVERBS_CREATE_QP_MASK_MASK) !== 0) fail(EINVAL, `comp_mask 0x${cmd.compMask.toString(16)} has unknown bits`);
      if (cmd.reserved !== 0) fail(EINVAL, 'reserved is not 0');
      createQp(s, wb, cmd);
    },

    /** ib_uverbs_open_qp: the object, the XRCD pd_handle names (EINVAL), then the XRC target QP numbered qpn in it (EINVAL). */
    writeOpenQp(wb) {
      const cmd = wb.request(decodeIbUverbsOpenQp);
      const u = wb.create(typeOf(wb, UVERBS_OBJECT.QP));
      const xrcd = readRecord<Xrcd>(wb, UVERBS_OBJECT.XRCD, cmd.pdHandle, 'XRCD');
      const qp = openSharedQp(s, wb.device, xrcd, cmd.qpn, cmd.qpType, cmd.userHandle);
      u.object = qp;
      u.userHandle = cmd.userHandle;
      wb.respond((v, o) => encodeIbUverbsCreateQpResp(v, o, { qpHandle: u.id, qpn: qp.qpn }));
    },

    /** ib_uverbs_destroy_qp: the QP goes (EBUSY while flows or multicast groups use it), then its event count is written back. */
    writeDestroyQp(wb) {
      const cmd = wb.request(decodeIbUverbsDestroyQp);
      const qp = recordOf<Qp>(wb.destroy(typeOf(wb, UVERBS_OBJECT.QP), cmd.qpHandle), 'QP');
      wb.respond((v, o) => encodeIbUverbsDestroyQpResp(v, o, { eventsReported: qp.eventsReported }));
    },
  };
}
