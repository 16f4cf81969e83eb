/**
 * write() commands of the data path: POST_SEND, POST_RECV, POST_SRQ_RECV, POLL_CQ,
 * REQ_NOTIFY_CQ. The posts carry their work requests and scatter/gather entries after
 * the request struct: wr_count requests of wqe_size bytes each, then sge_count entries,
 * each request taking the next num_sge of them. They are unmarshalled into the data
 * path's work requests (wr.ts) and handed to datapath.ts.
 */
import { IB_UVERBS_QP_TYPE as QPT, IB_UVERBS_WR_OPCODE as OP } from '../../../../generated/core/enums.js';
import { UVERBS_OBJECT } from '../../../../generated/core/ids.js';
import {
  decodeIbUverbsPollCq, decodeIbUverbsPostRecv, decodeIbUverbsPostSend, decodeIbUverbsPostSrqRecv, decodeIbUverbsRecvWr, decodeIbUverbsReqNotifyCq,
  decodeIbUverbsSendWr, decodeIbUverbsSge, encodeIbUverbsPollCqResp, encodeIbUverbsPostRecvResp, encodeIbUverbsPostSendResp, encodeIbUverbsPostSrqRecvResp,
  encodeIbUverbsWc, IB_UVERBS_POLL_CQ_RESP_SIZE, IB_UVERBS_RECV_WR_SIZE, IB_UVERBS_SEND_WR_SIZE, IB_UVERBS_SGE_SIZE, IB_UVERBS_WC_SIZE,
  type IbUverbsSendWr,
} from '../../../../generated/core/structs.js';
import type { InputBytes } from '../../../process/user-memory.js';
import type { WriteHandler } from '../../../kernel/device.js';
import { EINVAL, fail } from '../../../abi/errno.js';
import type { RequestIter, WriteBundle } from '../../../kernel/write-bundle.js';
import { pollCq, reqNotifyCq, type Cq } from '../cq.js';
import { postRecv, postSend, postSrqRecv, type PostResult } from '../datapath.js';
import type { Ah } from '../pd.js';
import type { Qp } from '../qp.js';
import type { Srq } from '../srq.js';
import type { CoreState } from '../state.js';
import type { RecvWr, SendWr, Sge } from '../wr.js';
import { readRecord } from './common.js';

/** The counts and stride every post command's request has. */
interface PostCounts {
  readonly wrCount: number;
  readonly sgeCount: number;
  readonly wqeSize: number;
}

/** What follows a post's struct: its requests and its scatter/gather entries. */
interface PostTail {
  readonly wqes: InputBytes;
  readonly sgls: InputBytes;
}

/**
 * The tail of a post: the requests (wqe_size at least `minWqe`, else EINVAL) and the
 * scatter/gather entries, each ENOSPC when the request ends first; anything after them
 * must be zero (EOPNOTSUPP).
 */
function postTail(cmd: PostCounts, rest: RequestIter, minWqe: number): PostTail {
  if (cmd.wqeSize < minWqe) fail(EINVAL, `wqe_size ${cmd.wqeSize} is less than a work request's ${minWqe} bytes`);
  const wqes = rest.next(cmd.wqeSize * cmd.wrCount);
  const sgls = rest.next(cmd.sgeCount * IB_UVERBS_SGE_SIZE);
  rest.finish();
  return { wqes, sgls };
}

/** Takes the scatter/gather entries of one request, in order, never past sge_count (EINVAL). */
class SgeCursor {
  private next = 0;

  constructor(private readonly cmd: PostCounts, private readonly sgls: InputBytes) {}

  take(numSge: number): Sge[] {
    if (numSge > this.cmd.sgeCount - this.next) fail(EINVAL, `${numSge} entries from entry ${this.next} are more than sge_count ${this.cmd.sgeCount}`);
    const out: Sge[] = [];
    for (let k = 0; k < numSge; k++) {
      const e = decodeIbUverbsSge(this.sgls.view, this.sgls.offset + (this.next + k) * IB_UVERBS_SGE_SIZE);
      out.push({ addr: e.addr, length: e.length, lkey: e.lkey });
    }
    this.next += numSge;
    return out;
  }
}

/** ib_uverbs_unmarshall_recv: the receive requests of POST_RECV and POST_SRQ_RECV. */
function recvWrs(cmd: PostCounts, tail: PostTail): RecvWr[] {
  const sges = new SgeCursor(cmd, tail.sgls);
  const out: RecvWr[] = [];
  for (let i = 0; i < cmd.wrCount; i++) {
    const w = decodeIbUverbsRecvWr(tail.wqes.view, tail.wqes.offset + i * cmd.wqeSize);
    out.push({ wrId: w.wrId, sgList: sges.take(w.numSge) });
  }
  return out;
}

/**
 * One send request as ib_uverbs_post_send reads it: on a UD QP only SEND and
 * SEND_WITH_IMM, with the AH its handle names (EINVAL for any lookup failure); on other
 * QPs the RDMA and atomic operands of those opcodes, the sends as they are, any other
 * opcode EINVAL.
 */
function sendWr(wb: WriteBundle, qp: Qp, w: IbUverbsSendWr, sgList: Sge[]): SendWr {
  const base = { wrId: w.wrId, opcode: w.opcode, sendFlags: w.sendFlags, sgList };
  const imm = w.opcode === OP.IB_UVERBS_WR_SEND_WITH_IMM || w.opcode === OP.IB_UVERBS_WR_RDMA_WRITE_WITH_IMM ? { immData: w.ex.immData } : {};
  if (qp.qpType === QPT.IB_UVERBS_QPT_UD) {
    if (w.opcode !== OP.IB_UVERBS_WR_SEND && w.opcode !== OP.IB_UVERBS_WR_SEND_WITH_IMM) fail(EINVAL, `opcode ${w.opcode} is not a send: a UD QP only sends`);
    const ah = readRecord<Ah>(wb, UVERBS_OBJECT.AH, w.wr.ud.ah, 'AH');
    return { ...base, ...imm, ud: { ah, remoteQpn: w.wr.ud.remoteQpn, remoteQkey: w.wr.ud.remoteQkey } };
  }
  switch (w.opcode) {
    case OP.IB_UVERBS_WR_RDMA_WRITE:
    case OP.IB_UVERBS_WR_RDMA_WRITE_WITH_IMM:
    case OP.IB_UVERBS_WR_RDMA_READ:
      return { ...base, ...imm, rdma: { remoteAddr: w.wr.rdma.remoteAddr, rkey: w.wr.rdma.rkey } };
    case OP.IB_UVERBS_WR_ATOMIC_CMP_AND_SWP:
    case OP.IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD: {
      const a = w.wr.atomic;
      return { ...base, atomic: { remoteAddr: a.remoteAddr, rkey: a.rkey, compareAdd: a.compareAdd, swap: a.swap } };
    }
    case OP.IB_UVERBS_WR_SEND:
    case OP.IB_UVERBS_WR_SEND_WITH_IMM:
    case OP.IB_UVERBS_WR_SEND_WITH_INV:
      return { ...base, ...imm };
    default:
      fail(EINVAL, `opcode ${w.opcode} is not one POST_SEND carries`);
  }
}

/** The end of every post: bad_wr written back (1-based, 0 when all went), then the refusal's errno. */
function answerPost(wb: WriteBundle, r: PostResult, encode: (v: DataView, o: number, x: { badWr: number }) => void): void {
  wb.respond((v, o) => encode(v, o, { badWr: r.badWr }));
  if (r.error) throw r.error;
}

/** The write() handlers of posting and completion, over `s`. */
export function datapathWriteHandlers(
  s: CoreState,
): Record<'writePostSend' | 'writePostRecv' | 'writePostSrqRecv' | 'writePollCq' | 'writeReqNotifyCq', WriteHandler> {
  return {
    /**
     * ib_uverbs_post_send: the tail (wqe_size below a send request's EINVAL, short tails
     * ENOSPC), the QP (EINVAL), each request with its entries and AH (EINVAL, nothing
     * posted), then the post and its bad_wr.
     */
    writePostSend(wb) {
      const { cmd, rest } = wb.requestStart(decodeIbUverbsPostSend);
      const tail = postTail(cmd, rest, IB_UVERBS_SEND_WR_SIZE);
      const qp = readRecord<Qp>(wb, UVERBS_OBJECT.QP, cmd.qpHandle, 'QP');
      const sges = new SgeCursor(cmd, tail.sgls);
      const wrs: SendWr[] = [];
      for (let i = 0; i < cmd.wrCount; i++) {
        const w = decodeIbUverbsSendWr(tail.wqes.view, tail.wqes.offset + i * cmd.wqeSize);
        const sgList = sges.take(w.numSge);
        wrs.push(sendWr(wb, qp, w, sgList));
      }
      answerPost(wb, postSend(s, qp, wrs, wb.memory), encodeIbUverbsPostSendResp);
    },

    /** ib_uverbs_post_recv: the requests unmarshalled first (EINVAL, ENOSPC), then the QP (EINVAL), the post and its bad_wr. */
    writePostRecv(wb) {
      const { cmd, rest } = wb.requestStart(decodeIbUverbsPostRecv);
      const wrs = recvWrs(cmd, postTail(cmd, rest, IB_UVERBS_RECV_WR_SIZE));
      const qp = readRecord<Qp>(wb, UVERBS_OBJECT.QP, cmd.qpHandle, 'QP');
      answerPost(wb, postRecv(s, qp, wrs), encodeIbUverbsPostRecvResp);
    },

    /** ib_uverbs_post_srq_recv: as POST_RECV, on the SRQ the handle names. */
    writePostSrqRecv(wb) {
      const { cmd, rest } = wb.requestStart(decodeIbUverbsPostSrqRecv);
      const wrs = recvWrs(cmd, postTail(cmd, rest, IB_UVERBS_RECV_WR_SIZE));
      const srq = readRecord<Srq>(wb, UVERBS_OBJECT.SRQ, cmd.srqHandle, 'SRQ');
      answerPost(wb, postSrqRecv(s, srq, wrs), encodeIbUverbsPostSrqRecvResp);
    },

    /**
     * ib_uverbs_poll_cq: the CQ (EINVAL), then up to ne completions, each ib_uverbs_wc
     * written after the count's header at the response address, then the header with
     * the count (EFAULT where the room is not mapped).
     */
    writePollCq(wb) {
      const cmd = wb.request(decodeIbUverbsPollCq);
      const cq = readRecord<Cq>(wb, UVERBS_OBJECT.CQ, cmd.cqHandle, 'CQ');
      const wcs = pollCq(cq, cmd.ne);
      const at = wb.ucore.outAddr + IB_UVERBS_POLL_CQ_RESP_SIZE;
      if (wcs.length > 0) {
        const room = wb.memory.access(at, wcs.length * IB_UVERBS_WC_SIZE, 'POLL_CQ completions');
        wcs.forEach((wc, k) => encodeIbUverbsWc(room.view, room.offset + k * IB_UVERBS_WC_SIZE, wc));
      }
      wb.respond((v, o) => encodeIbUverbsPollCqResp(v, o, { count: wcs.length }));
    },

    /** ib_uverbs_req_notify_cq: the CQ (EINVAL), armed for the next completion or the next solicited one. */
    writeReqNotifyCq(wb) {
      const cmd = wb.request(decodeIbUverbsReqNotifyCq);
      const cq = readRecord<Cq>(wb, UVERBS_OBJECT.CQ, cmd.cqHandle, 'CQ');
      reqNotifyCq(cq, cmd.solicitedOnly !== 0);
    },
  };
}
