/**
 * write() commands of QP state and the data path: MODIFY_QP, EX_MODIFY_QP, QUERY_QP,
 * POST_SEND, POST_RECV, POST_SRQ_RECV, POLL_CQ, REQ_NOTIFY_CQ, ATTACH_MCAST,
 * DETACH_MCAST, run as raw write() buffers on the emulated core device.
 */
import { describe, expect, it } from 'vitest';
import { IB_UVERBS_QP_TYPE as QPT, IB_UVERBS_WR_OPCODE as OP } from '../../generated/core/enums.js';
import * as S from '../../generated/core/structs.js';
import { EINVAL, ENOSPC, EOPNOTSUPP } from '../../runtime/abi/errno.js';
import { Mtu, QpAttrMask as M, QpState, SendFlags, WcStatus } from '../../runtime/emulated/core/index.js';
import * as O from './objects.js';
import { concat, struct, WriteRig } from './rig.js';

const PORT = 1;
const LID = 7;

const modifyReq = (x: S.IbUverbsModifyQpInit): Uint8Array => struct(S.IB_UVERBS_MODIFY_QP_SIZE, S.encodeIbUverbsModifyQp, x);
const toInit = (qpHandle: number) => modifyReq({ qpHandle, attrMask: M.STATE | M.PKEY_INDEX | M.PORT | M.ACCESS_FLAGS, qpState: QpState.INIT, portNum: PORT });
const toRtr = (qpHandle: number, destQpNum: number) => modifyReq({
  qpHandle, attrMask: M.STATE | M.AV | M.PATH_MTU | M.DEST_QPN | M.RQ_PSN | M.MAX_DEST_RD_ATOMIC | M.MIN_RNR_TIMER,
  qpState: QpState.RTR, dest: { dlid: LID, portNum: PORT }, pathMtu: Mtu.MTU_1024, destQpNum, rqPsn: 100, maxDestRdAtomic: 4, minRnrTimer: 12,
});
const toRts = (qpHandle: number) => modifyReq({
  qpHandle, attrMask: M.STATE | M.SQ_PSN | M.TIMEOUT | M.RETRY_CNT | M.RNR_RETRY | M.MAX_QP_RD_ATOMIC,
  qpState: QpState.RTS, sqPsn: 100, timeout: 14, retryCnt: 7, rnrRetry: 7, maxRdAtomic: 4,
});

const sge = (addr: bigint, length: number, lkey: number) => struct(S.IB_UVERBS_SGE_SIZE, S.encodeIbUverbsSge, { addr, length, lkey });

function postSendReq(qpHandle: number, wrs: S.IbUverbsSendWrInit[], sges: Uint8Array[], wqeSize = S.IB_UVERBS_SEND_WR_SIZE): Uint8Array {
  const head = struct(S.IB_UVERBS_POST_SEND_SIZE, S.encodeIbUverbsPostSend, { qpHandle, wrCount: wrs.length, sgeCount: sges.length, wqeSize });
  return concat(head, ...wrs.map((w) => struct(S.IB_UVERBS_SEND_WR_SIZE, S.encodeIbUverbsSendWr, w)), ...sges);
}

function recvReq(name: 'POST_RECV' | 'POST_SRQ_RECV', handle: number, wrs: S.IbUverbsRecvWrInit[], sges: Uint8Array[]): Uint8Array {
  const counts = { wrCount: wrs.length, sgeCount: sges.length, wqeSize: S.IB_UVERBS_RECV_WR_SIZE };
  const head = name === 'POST_RECV'
    ? struct(S.IB_UVERBS_POST_RECV_SIZE, S.encodeIbUverbsPostRecv, { qpHandle: handle, ...counts })
    : struct(S.IB_UVERBS_POST_SRQ_RECV_SIZE, S.encodeIbUverbsPostSrqRecv, { srqHandle: handle, ...counts });
  return concat(head, ...wrs.map((w) => struct(S.IB_UVERBS_RECV_WR_SIZE, S.encodeIbUverbsRecvWr, w)), ...sges);
}

/** POLL_CQ of up to `ne`: the count, and each ib_uverbs_wc written after it. */
async function poll(r: WriteRig, cqHandle: number, ne: number): Promise<S.IbUverbsWc[]> {
  const req = struct(S.IB_UVERBS_POLL_CQ_SIZE, S.encodeIbUverbsPollCq, { cqHandle, ne });
  const { count } = await r.call('POLL_CQ', { req }, S.decodeIbUverbsPollCqResp);
  return Array.from({ length: count }, (_, k) => S.decodeIbUverbsWc(r.respMap.view, S.IB_UVERBS_POLL_CQ_RESP_SIZE + k * S.IB_UVERBS_WC_SIZE));
}

async function queryState(r: WriteRig, qpHandle: number): Promise<S.IbUverbsQueryQpResp> {
  return r.call('QUERY_QP', { req: struct(S.IB_UVERBS_QUERY_QP_SIZE, S.encodeIbUverbsQueryQp, { qpHandle }) }, S.decodeIbUverbsQueryQpResp);
}

/** Two RC QPs, each on its own CQ, connected to each other by write()'s MODIFY_QP (b's RTS by EX_MODIFY_QP). */
async function connected(r: WriteRig, recvCq: S.IbUverbsCreateCqInit = {}) {
  const pd = await O.pd(r);
  const cqA = await O.cq(r);
  const cqB = await O.cq(r, recvCq);
  const a = await O.qp(r, { pdHandle: pd, sendCqHandle: cqA, recvCqHandle: cqA });
  const b = await O.qp(r, { pdHandle: pd, sendCqHandle: cqB, recvCqHandle: cqB });
  for (const [x, y] of [[a, b], [b, a]] as const) {
    r.ok(await r.write('MODIFY_QP', { req: toInit(x.qpHandle) }));
    r.ok(await r.write('MODIFY_QP', { req: toRtr(x.qpHandle, y.qpn) }));
  }
  r.ok(await r.write('MODIFY_QP', { req: toRts(a.qpHandle) }));
  const ex = struct(S.IB_UVERBS_EX_MODIFY_QP_SIZE, S.encodeIbUverbsExModifyQp, { base: S.decodeIbUverbsModifyQp(new DataView(toRts(b.qpHandle).buffer), 0) });
  expect(await r.call('EX_MODIFY_QP', { req: ex }, S.decodeIbUverbsExModifyQpResp)).toEqual({ compMask: 0, responseLength: S.IB_UVERBS_EX_MODIFY_QP_RESP_SIZE });
  return { pd, cqA, cqB, a, b };
}

describe('MODIFY_QP, EX_MODIFY_QP, QUERY_QP', () => {
  it('walks two RC QPs RESET -> INIT -> RTR -> RTS and QUERY_QP reads the attributes back', async () => {
    const r = await WriteRig.open();
    const pd = await O.pd(r);
    const c = await O.cq(r);
    const a = await O.qp(r, { pdHandle: pd, sendCqHandle: c, recvCqHandle: c });
    expect((await queryState(r, a.qpHandle)).qpState).toBe(QpState.RESET);
    const { a: x, b: y } = await connected(r);
    expect(await queryState(r, x.qpHandle)).toMatchObject({ qpState: QpState.RTS, curQpState: QpState.RTS, destQpNum: y.qpn, portNum: PORT, pathMtu: Mtu.MTU_1024, rqPsn: 100, sqPsn: 100, maxSendWr: 16 });
    expect((await queryState(r, y.qpHandle)).dest).toMatchObject({ dlid: LID, portNum: PORT });
  });

  it('refuses a bad handle, a bad transition, and the rate limit on the plain command', async () => {
    const r = await WriteRig.open();
    const { qp } = await O.qpOn(r, QPT.IB_UVERBS_QPT_RC);
    await r.fails(EINVAL, 'MODIFY_QP', { req: toInit(qp + 99) });
    await r.fails(EINVAL, 'QUERY_QP', { req: struct(S.IB_UVERBS_QUERY_QP_SIZE, S.encodeIbUverbsQueryQp, { qpHandle: qp + 99 }) });
    await r.fails(EINVAL, 'MODIFY_QP', { req: toRts(qp) }); // RESET -> RTS
    await r.fails(EOPNOTSUPP, 'MODIFY_QP', { req: modifyReq({ qpHandle: qp, attrMask: M.RATE_LIMIT }) });
    const ex = (attrMask: number) => struct(S.IB_UVERBS_EX_MODIFY_QP_SIZE, S.encodeIbUverbsExModifyQp, { base: { qpHandle: qp, attrMask } });
    await r.fails(EOPNOTSUPP, 'EX_MODIFY_QP', { req: ex(M.RATE_LIMIT << 1) });
    expect((await queryState(r, qp)).qpState).toBe(QpState.RESET);
  });
});

describe('POST_RECV, POST_SEND, POLL_CQ, REQ_NOTIFY_CQ', () => {
  it('a signalled SEND lands in the receiver MR and both sides poll their completion', async () => {
    const r = await WriteRig.open();
    const ch = await r.call('CREATE_COMP_CHANNEL', {}, S.decodeIbUverbsCreateCompChannelResp);
    const { pd, cqA, cqB, a, b } = await connected(r, { compChannel: ch.fd, userHandle: 0xabcdn });
    const src = await O.mr(r, pd);
    const dst = await O.mr(r, pd);
    const mem = r.session.process.memory;
    mem.write(Number(src.addr), new TextEncoder().encode('hello, uverbs'), 'payload');

    r.ok(await r.write('POST_RECV', { req: recvReq('POST_RECV', b.qpHandle, [{ wrId: 7n, numSge: 1 }], [sge(dst.addr, 64, dst.lkey)]) }));
    expect(r.out(S.decodeIbUverbsPostRecvResp).badWr).toBe(0);
    r.ok(await r.write('REQ_NOTIFY_CQ', { req: struct(S.IB_UVERBS_REQ_NOTIFY_CQ_SIZE, S.encodeIbUverbsReqNotifyCq, { cqHandle: cqB }) }));

    const send = { wrId: 9n, numSge: 1, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: SendFlags.SIGNALED };
    r.ok(await r.write('POST_SEND', { req: postSendReq(a.qpHandle, [send], [sge(src.addr, 13, src.lkey)]) }));
    expect(r.out(S.decodeIbUverbsPostSendResp).badWr).toBe(0);

    expect(new TextDecoder().decode(mem.read(Number(dst.addr), 13, 'received'))).toBe('hello, uverbs');
    expect(await poll(r, cqA, 4)).toEqual([expect.objectContaining({ wrId: 9n, status: WcStatus.SUCCESS, qpNum: a.qpn })]);
    expect(await poll(r, cqB, 4)).toEqual([expect.objectContaining({ wrId: 7n, status: WcStatus.SUCCESS, byteLen: 13, qpNum: b.qpn })]);
    expect(await poll(r, cqB, 4)).toEqual([]);

    // The armed CQ queued one event: reading the channel gives the CQ's user handle.
    const buf = mem.map(16);
    expect(await r.session.process.read(ch.fd, buf.addr, 16)).toBe(8); // one ib_uverbs_comp_event_desc
    expect(buf.view.getBigUint64(0, true)).toBe(0xabcdn);
    await r.fails(EINVAL, 'POLL_CQ', { req: struct(S.IB_UVERBS_POLL_CQ_SIZE, S.encodeIbUverbsPollCq, { cqHandle: cqB + 99, ne: 1 }) });
    await r.fails(EINVAL, 'REQ_NOTIFY_CQ', { req: struct(S.IB_UVERBS_REQ_NOTIFY_CQ_SIZE, S.encodeIbUverbsReqNotifyCq, { cqHandle: cqB + 99 }) });
  });

  it('reports bad_wr for a send in RESET and refuses a short wqe_size, a short tail and too many entries', async () => {
    const r = await WriteRig.open();
    const { qp } = await O.qpOn(r, QPT.IB_UVERBS_QPT_RC);
    const send = { wrId: 1n, opcode: OP.IB_UVERBS_WR_SEND };
    await r.fails(EINVAL, 'POST_SEND', { req: postSendReq(qp, [send, send], []) });
    expect(r.out(S.decodeIbUverbsPostSendResp).badWr).toBe(1);
    await r.fails(EINVAL, 'POST_SEND', { req: postSendReq(qp, [send], [], S.IB_UVERBS_SEND_WR_SIZE - 8) });
    await r.fails(EINVAL, 'POST_SEND', { req: postSendReq(qp + 99, [send], []) });
    await r.fails(EINVAL, 'POST_SEND', { req: postSendReq(qp, [{ ...send, numSge: 1 }], []) }); // sge_count 0
    await r.fails(EINVAL, 'POST_SEND', { req: postSendReq(qp, [{ ...send, opcode: OP.IB_UVERBS_WR_LOCAL_INV }], []) });
    const short = postSendReq(qp, [send], []).subarray(0, S.IB_UVERBS_POST_SEND_SIZE + 8);
    await r.fails(ENOSPC, 'POST_SEND', { req: short });
    await r.fails(EINVAL, 'POST_RECV', { req: recvReq('POST_RECV', qp, [{ wrId: 1n }], []) }); // RESET
    expect(r.out(S.decodeIbUverbsPostRecvResp).badWr).toBe(1);
  });
});

describe('POST_SRQ_RECV', () => {
  it('posts receives on an SRQ until it is full, reporting the first refused', async () => {
    const r = await WriteRig.open();
    const pd = await O.pd(r);
    const { srqHandle, maxWr } = await O.srq(r, { pdHandle: pd, maxWr: 2 });
    const wrs = Array.from({ length: maxWr + 1 }, (_, k) => ({ wrId: BigInt(k) }));
    const rc = await r.write('POST_SRQ_RECV', { req: recvReq('POST_SRQ_RECV', srqHandle, wrs, []) });
    expect(rc).toBeLessThan(0);
    expect(r.out(S.decodeIbUverbsPostSrqRecvResp).badWr).toBe(maxWr + 1);
    await r.fails(EINVAL, 'POST_SRQ_RECV', { req: recvReq('POST_SRQ_RECV', srqHandle + 99, [{ wrId: 1n }], []) });
  });
});

describe('ATTACH_MCAST, DETACH_MCAST', () => {
  it('a UD QP joins and leaves a group; an RC QP and an unknown group are refused', async () => {
    const r = await WriteRig.open();
    const ud = await O.qpOn(r);
    const rc = await O.qpOn(r, QPT.IB_UVERBS_QPT_RC);
    const gid = new Uint8Array(16).fill(1);
    gid[0] = 0xff;
    const req = (qpHandle: number) => struct(S.IB_UVERBS_ATTACH_MCAST_SIZE, S.encodeIbUverbsAttachMcast, { gid, qpHandle, mlid: 0xc001 });
    r.ok(await r.write('ATTACH_MCAST', { req: req(ud.qp) }));
    await r.fails(EINVAL, 'ATTACH_MCAST', { req: req(rc.qp) });
    await r.fails(EINVAL, 'ATTACH_MCAST', { req: req(ud.qp + 99) });
    r.ok(await r.write('DETACH_MCAST', { req: req(ud.qp) }));
    await r.fails(EINVAL, 'DETACH_MCAST', { req: req(ud.qp) });
  });
});
