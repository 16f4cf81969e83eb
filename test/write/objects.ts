/**
 * Objects made through write(), for the tests of the commands that use them: each
 * helper sends its command with the generated encoder, requires success and returns
 * the handle (and what else the answer holds).
 */
import { IB_UVERBS_QP_TYPE as QPT, IB_UVERBS_SRQ_TYPE, IB_UVERBS_WQ_TYPE } from '../../generated/core/enums.js';
import * as S from '../../generated/core/structs.js';
import { concat, pad8, struct, u32s, type OpenFile, type WriteRig } from './rig.js';

type Rig = WriteRig<OpenFile>;

export async function pd(r: Rig): Promise<number> {
  return (await r.call('ALLOC_PD', {}, S.decodeIbUverbsAllocPdResp)).pdHandle;
}

export const cqReq = (x: S.IbUverbsCreateCqInit = {}): Uint8Array => struct(S.IB_UVERBS_CREATE_CQ_SIZE, S.encodeIbUverbsCreateCq, { cqe: 16, compChannel: -1, ...x });

export async function cq(r: Rig, x: S.IbUverbsCreateCqInit = {}): Promise<number> {
  return (await r.call('CREATE_CQ', { req: cqReq(x) }, S.decodeIbUverbsCreateCqResp)).cqHandle;
}

/** REG_MR of `len` bytes of a fresh mapping, iova = its address. */
export async function mr(r: Rig, pdHandle: number, x: S.IbUverbsRegMrInit = {}, len = 8192): Promise<S.IbUverbsRegMrResp & { addr: bigint }> {
  const addr = BigInt(r.session.process.memory.map(len).addr);
  const req = struct(S.IB_UVERBS_REG_MR_SIZE, S.encodeIbUverbsRegMr, { start: addr, length: BigInt(len), hcaVa: addr, pdHandle, accessFlags: 1, ...x });
  return { ...(await r.call('REG_MR', { req }, S.decodeIbUverbsRegMrResp)), addr };
}

export const qpReq = (x: S.IbUverbsCreateQpInit): Uint8Array =>
  struct(S.IB_UVERBS_CREATE_QP_SIZE, S.encodeIbUverbsCreateQp, { qpType: QPT.IB_UVERBS_QPT_RC, maxSendWr: 16, maxRecvWr: 16, maxSendSge: 1, maxRecvSge: 1, ...x });

export async function qp(r: Rig, x: S.IbUverbsCreateQpInit): Promise<S.IbUverbsCreateQpResp> {
  return r.call('CREATE_QP', { req: qpReq(x) }, S.decodeIbUverbsCreateQpResp);
}

/** A UD or RC QP on a new PD and CQ. */
export async function qpOn(r: Rig, qpType: number = QPT.IB_UVERBS_QPT_UD): Promise<{ pd: number; cq: number; qp: number; qpn: number }> {
  const p = await pd(r);
  const c = await cq(r);
  const q = await qp(r, { pdHandle: p, sendCqHandle: c, recvCqHandle: c, qpType });
  return { pd: p, cq: c, qp: q.qpHandle, qpn: q.qpn };
}

export const xsrqReq = (x: S.IbUverbsCreateXsrqInit): Uint8Array =>
  struct(S.IB_UVERBS_CREATE_XSRQ_SIZE, S.encodeIbUverbsCreateXsrq, { srqType: IB_UVERBS_SRQ_TYPE.IB_UVERBS_SRQT_BASIC, maxWr: 16, maxSge: 1, ...x });

export async function srq(r: Rig, x: S.IbUverbsCreateXsrqInit): Promise<S.IbUverbsCreateSrqResp> {
  return r.call('CREATE_XSRQ', { req: xsrqReq(x) }, S.decodeIbUverbsCreateSrqResp);
}

export const wqReq = (x: S.IbUverbsExCreateWqInit): Uint8Array =>
  struct(S.IB_UVERBS_EX_CREATE_WQ_SIZE, S.encodeIbUverbsExCreateWq, { wqType: IB_UVERBS_WQ_TYPE.IB_UVERBS_WQT_RQ, maxWr: 16, maxSge: 1, ...x });

export async function wq(r: Rig, pdHandle: number, cqHandle: number): Promise<S.IbUverbsExCreateWqResp> {
  return r.call('EX_CREATE_WQ', { req: wqReq({ pdHandle, cqHandle }) }, S.decodeIbUverbsExCreateWqResp);
}

/** EX_CREATE_RWQ_IND_TBL's request: the struct, then the WQ handles, padded to 8 bytes. */
export function indTblReq(logSize: number, handles: number[], compMask = 0): Uint8Array {
  return pad8(concat(struct(S.IB_UVERBS_EX_CREATE_RWQ_IND_TABLE_SIZE, S.encodeIbUverbsExCreateRwqIndTable, { compMask, logIndTblSize: logSize }), u32s(...handles)));
}

export async function indTbl(r: Rig, handles: number[]): Promise<S.IbUverbsExCreateRwqIndTableResp> {
  return r.call('EX_CREATE_RWQ_IND_TBL', { req: indTblReq(Math.log2(handles.length), handles) }, S.decodeIbUverbsExCreateRwqIndTableResp);
}

export const xrcdReq = (fd: number, oflags = 0): Uint8Array => struct(S.IB_UVERBS_OPEN_XRCD_SIZE, S.encodeIbUverbsOpenXrcd, { fd: fd >>> 0, oflags });

/** OPEN_XRCD through `fd` (-1: a domain of its own), on the rig's file or the uverbs file `on`. */
export async function xrcd(r: Rig, fd = -1, oflags = 0, on = r.session.fd): Promise<number> {
  return (await r.call('OPEN_XRCD', { req: xrcdReq(fd, oflags) }, S.decodeIbUverbsOpenXrcdResp, on)).xrcdHandle;
}

/** An extended destroy without a response (EX_DESTROY_FLOW, EX_DESTROY_RWQ_IND_TBL): comp_mask, then the handle. */
export function exDestroy(handle: number, compMask = 0): { req: Uint8Array; respRoom: number } {
  const req = handleReq(8, 4, handle);
  new DataView(req.buffer).setUint32(0, compMask, true);
  return { req, respRoom: 0 };
}

/** A request struct that names one handle at offset `at` (the destroy commands). */
export function handleReq(size: number, at: number, handle: number): Uint8Array {
  const b = new Uint8Array(size);
  new DataView(b.buffer).setUint32(at, handle, true);
  return b;
}
