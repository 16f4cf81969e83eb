/**
 * The loopback data path of the emulated core device, driven through the model the
 * write() commands call: sends landing in posted receives, RDMA and atomics, error
 * completions and what they do to the QPs, queue limits, SRQs, UD with AHs and
 * multicast, and the completions POLL_CQ returns.
 */
import { describe, expect, it } from 'vitest';
import * as core from '../../generated/core/index.js';
import { EBUSY, EINVAL, ENOMEM, EOPNOTSUPP } from '../../runtime/abi/errno.js';
import {
  attachMcast, detachMcast, IbEvent, modifyQp, MULTICAST_QPN, newAh, newPd, pollCq, postRecv, postSend, postSrqRecv, QpAttrMask as M, QpState,
  queryQp, SendFlags, WcFlags, WcRecvOpcode, WcStatus, type AsyncEvent, type Qp, type SendWr,
} from '../../runtime/emulated/core/index.js';
import { IB_LID, IB_PORT, posted, refused, Rig, ROCE_PORT, sge, wcOf, type Region } from './loopback-rig.js';
import { objectAt } from '../../runtime/kernel/object-file.js';

const { IB_UVERBS_QP_TYPE: QPT, IB_UVERBS_WR_OPCODE: OP, IB_UVERBS_WC_OPCODE: WCO, IB_UVERBS_ACCESS_FLAGS: ACC } = core;
const RC = QPT.IB_UVERBS_QPT_RC;
const SIGNALED = SendFlags.SIGNALED;

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function send(r: Rig, qp: Qp, ...wrs: SendWr[]) {
  return postSend(r.state, qp, wrs, r.s.process.memory);
}

/** Two connected RC QPs, each with its own CQ, and a registered region for each. */
async function rcPair(o: Parameters<Rig['connect']>[2] = {}) {
  const r = await Rig.open();
  const cqA = await r.cq();
  const cqB = await r.cq();
  const a = await r.qp(RC, { cq: cqA });
  const b = await r.qp(RC, { cq: cqB });
  r.connect(a, b, o);
  const ma = await r.mr(4096);
  const mb = await r.mr(4096);
  return { r, a, b, cqA, cqB, ma, mb };
}

function asyncEvents(r: Rig, fd: number): AsyncEvent['events'] {
  return (objectAt(r.s.process, fd)!.object as AsyncEvent).events;
}

describe('emulated core device: loopback data path', () => {
  it('lands a signalled RC send in the posted receive and completes both sides', async () => {
    const { r, a, b, cqA, cqB, ma, mb } = await rcPair();
    ma.bytes.set(text('hello, loopback'), 100);
    posted(postRecv(r.state, b, [{ wrId: 0xb1n, sgList: [sge(mb, 0, 10), sge(mb, 200, 64)] }]));
    posted(send(r, a, { wrId: 0xa1n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: SIGNALED, sgList: [sge(ma, 100, 15)] }));

    expect(mb.bytes.subarray(0, 10)).toEqual(text('hello, loo'));
    expect(mb.bytes.subarray(200, 205)).toEqual(text('pback'));
    expect(mb.bytes[205]).toBe(0);
    expect(pollCq(cqB, 8)).toEqual([wcOf({ wrId: 0xb1n, opcode: WcRecvOpcode.RECV, byteLen: 15, qpNum: b.qpn, slid: IB_LID, sl: 3 })]);
    expect(pollCq(cqA, 8)).toEqual([wcOf({ wrId: 0xa1n, opcode: WCO.IB_UVERBS_WC_SEND, qpNum: a.qpn })]);
    expect(pollCq(cqA, 8)).toEqual([]);
    // One 15-byte packet each way of the path.
    expect([queryQp(a).sqPsn, queryQp(b).rqPsn]).toEqual([101, 101]);
  });

  it('carries immediate data and the solicited flag, and RDMA writes with and without immediate', async () => {
    const { r, a, b, cqA, cqB, ma, mb } = await rcPair();
    ma.bytes.set([1, 2, 3, 4, 5, 6, 7, 8]);
    posted(postRecv(r.state, b, [{ wrId: 1n, sgList: [sge(mb, 0, 64)] }, { wrId: 2n, sgList: [] }]));
    posted(send(r, a,
      { wrId: 10n, opcode: OP.IB_UVERBS_WR_SEND_WITH_IMM, sendFlags: SIGNALED | SendFlags.SOLICITED, immData: 0x01020304, sgList: [sge(ma, 0, 4)] },
      { wrId: 11n, opcode: OP.IB_UVERBS_WR_RDMA_WRITE, sendFlags: SIGNALED, sgList: [sge(ma, 0, 8)], rdma: { remoteAddr: mb.addr + 1000n, rkey: mb.mr.rkey } },
      { wrId: 12n, opcode: OP.IB_UVERBS_WR_RDMA_WRITE_WITH_IMM, sendFlags: SIGNALED, immData: 0xcafe, sgList: [sge(ma, 4, 4)], rdma: { remoteAddr: mb.addr + 2000n, rkey: mb.mr.rkey } },
    ));
    expect(mb.bytes.subarray(0, 4)).toEqual(Uint8Array.from([1, 2, 3, 4]));
    expect(mb.bytes.subarray(1000, 1008)).toEqual(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(mb.bytes.subarray(2000, 2004)).toEqual(Uint8Array.from([5, 6, 7, 8]));
    const imm = (v: number) => ({ immData: v, invalidateRkey: v });
    expect(pollCq(cqB, 8)).toEqual([
      wcOf({ wrId: 1n, opcode: WcRecvOpcode.RECV, byteLen: 4, ex: imm(0x01020304), wcFlags: WcFlags.WITH_IMM, qpNum: b.qpn, slid: IB_LID, sl: 3 }),
      wcOf({ wrId: 2n, opcode: WcRecvOpcode.RECV_RDMA_WITH_IMM, byteLen: 4, ex: imm(0xcafe), wcFlags: WcFlags.WITH_IMM, qpNum: b.qpn, slid: IB_LID, sl: 3 }),
    ]);
    expect(pollCq(cqA, 8)).toEqual([
      wcOf({ wrId: 10n, opcode: WCO.IB_UVERBS_WC_SEND, wcFlags: WcFlags.WITH_IMM, qpNum: a.qpn }),
      wcOf({ wrId: 11n, opcode: WCO.IB_UVERBS_WC_RDMA_WRITE, qpNum: a.qpn }),
      wcOf({ wrId: 12n, opcode: WCO.IB_UVERBS_WC_RDMA_WRITE, wcFlags: WcFlags.WITH_IMM, qpNum: a.qpn }),
    ]);
  });

  it('reads remote memory and runs atomics on it', async () => {
    const { r, a, cqA, ma, mb } = await rcPair();
    mb.bytes.set(text('remote bytes'), 300);
    const v = new DataView(mb.bytes.buffer, mb.bytes.byteOffset);
    v.setBigUint64(512, 40n, true);
    posted(send(r, a,
      { wrId: 1n, opcode: OP.IB_UVERBS_WR_RDMA_READ, sendFlags: SIGNALED, sgList: [sge(ma, 0, 6), sge(ma, 50, 6)], rdma: { remoteAddr: mb.addr + 300n, rkey: mb.mr.rkey } },
      { wrId: 2n, opcode: OP.IB_UVERBS_WR_ATOMIC_FETCH_AND_ADD, sendFlags: SIGNALED, sgList: [sge(ma, 64, 8)], atomic: { remoteAddr: mb.addr + 512n, rkey: mb.mr.rkey, compareAdd: 2n, swap: 0n } },
      { wrId: 3n, opcode: OP.IB_UVERBS_WR_ATOMIC_CMP_AND_SWP, sendFlags: SIGNALED, sgList: [sge(ma, 72, 8)], atomic: { remoteAddr: mb.addr + 512n, rkey: mb.mr.rkey, compareAdd: 42n, swap: 7n } },
      { wrId: 4n, opcode: OP.IB_UVERBS_WR_ATOMIC_CMP_AND_SWP, sendFlags: SIGNALED, sgList: [sge(ma, 80, 8)], atomic: { remoteAddr: mb.addr + 512n, rkey: mb.mr.rkey, compareAdd: 42n, swap: 9n } },
    ));
    expect(ma.bytes.subarray(0, 6)).toEqual(text('remote'));
    expect(ma.bytes.subarray(50, 56)).toEqual(text(' bytes'));
    const la = new DataView(ma.bytes.buffer, ma.bytes.byteOffset);
    expect([la.getBigUint64(64, true), la.getBigUint64(72, true), la.getBigUint64(80, true), v.getBigUint64(512, true)]).toEqual([40n, 42n, 7n, 7n]);
    expect(pollCq(cqA, 8)).toEqual([
      wcOf({ wrId: 1n, opcode: WCO.IB_UVERBS_WC_RDMA_READ, byteLen: 12, qpNum: a.qpn }),
      wcOf({ wrId: 2n, opcode: WCO.IB_UVERBS_WC_FETCH_ADD, byteLen: 8, qpNum: a.qpn }),
      wcOf({ wrId: 3n, opcode: WCO.IB_UVERBS_WC_COMP_SWAP, byteLen: 8, qpNum: a.qpn }),
      wcOf({ wrId: 4n, opcode: WCO.IB_UVERBS_WC_COMP_SWAP, byteLen: 8, qpNum: a.qpn }),
    ]);
  });

  it('reaches device memory through a DM MR, addressed from 0', async () => {
    const { r, a, cqA, ma } = await rcPair();
    const dm = await r.s.call(core.encodeDmAlloc, { length: 256, alignment: 0 }, core.decodeDmAllocOut);
    const reg = await r.s.call(core.encodeDmMrReg, {
      pdHandle: r.pdHandle, dmHandle: dm.handle, offset: 64, length: 128,
      accessFlags: ACC.IB_UVERBS_ACCESS_ZERO_BASED | ACC.IB_UVERBS_ACCESS_LOCAL_WRITE | ACC.IB_UVERBS_ACCESS_REMOTE_WRITE | ACC.IB_UVERBS_ACCESS_REMOTE_READ,
    }, core.decodeDmMrRegOut);
    ma.bytes.set(text('on the device'));
    posted(send(r, a,
      { wrId: 1n, opcode: OP.IB_UVERBS_WR_RDMA_WRITE, sendFlags: 0, sgList: [sge(ma, 0, 13)], rdma: { remoteAddr: 16n, rkey: reg.respRkey } },
      { wrId: 2n, opcode: OP.IB_UVERBS_WR_RDMA_READ, sendFlags: SIGNALED, sgList: [sge(ma, 100, 13)], rdma: { remoteAddr: 16n, rkey: reg.respRkey } },
      { wrId: 3n, opcode: OP.IB_UVERBS_WR_RDMA_WRITE, sendFlags: 0, sgList: [sge(ma, 0, 13)], rdma: { remoteAddr: 120n, rkey: reg.respRkey } },
    ));
    const start = r.s.record<{ start: number }>(dm.handle).start;
    expect(r.state.dm!.bytes.subarray(start + 64 + 16, start + 64 + 29)).toEqual(text('on the device'));
    expect(ma.bytes.subarray(100, 113)).toEqual(text('on the device'));
    // 13 bytes at 120 run past the MR's 128.
    expect(pollCq(cqA, 8).map((w) => [w.wrId, w.status, w.byteLen])).toEqual([[2n, WcStatus.SUCCESS, 13], [3n, WcStatus.REM_ACCESS_ERR, 0]]);
  });

  it('sends INLINE data from the poster\'s memory without a key, up to the inline size', async () => {
    const r = await Rig.open();
    const cq = await r.cq();
    const a = await r.qp(RC, { cq, maxInlineData: 32 });
    const b = await r.qp(RC, { cq });
    r.connect(a, b);
    const mb = await r.mr(128);
    const plain = r.s.map(4096); // not registered
    plain.bytes.set(text('inline!'));
    posted(postRecv(r.state, b, [{ wrId: 1n, sgList: [sge(mb, 0, 128)] }]));
    const big = a.cap.maxInlineData + 1;
    posted(send(r, a, { wrId: 2n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: SIGNALED | SendFlags.INLINE, sgList: [{ addr: BigInt(plain.addr), length: 7, lkey: 0 }] }));
    expect(mb.bytes.subarray(0, 7)).toEqual(text('inline!'));
    refused(send(r, a, { wrId: 3n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: SendFlags.INLINE, sgList: [{ addr: BigInt(plain.addr), length: big, lkey: 0 }] }), 1, ENOMEM);
    refused(send(r, a, { wrId: 4n, opcode: OP.IB_UVERBS_WR_RDMA_READ, sendFlags: SendFlags.INLINE, sgList: [], rdma: { remoteAddr: 0n, rkey: 0 } }), 1, EINVAL);
    expect(pollCq(cq, 4).map((w) => [w.wrId, w.status, w.byteLen])).toEqual([[1n, WcStatus.SUCCESS, 7], [2n, WcStatus.SUCCESS, 0]]);
  });

  it('signals only SIGNALED sends, or all with SQ_SIG_ALL, and gives slots back when completions are polled', async () => {
    const r = await Rig.open();
    const cq = await r.cq();
    const a = await r.qp(RC, { cq, maxSendWr: 4 });
    const b = await r.qp(RC, { cq });
    r.connect(a, b);
    const m = await r.mr(64);
    const write = (wrId: bigint, sendFlags = 0): SendWr => ({ wrId, opcode: OP.IB_UVERBS_WR_RDMA_WRITE, sendFlags, sgList: [sge(m, 0, 8)], rdma: { remoteAddr: m.addr + 32n, rkey: m.mr.rkey } });
    expect(a.cap.maxSendWr).toBe(4);
    posted(send(r, a, write(1n), write(2n), write(3n)));
    expect(cq.entries).toHaveLength(0); // unsignaled: no completion, but their slots stay taken
    const full = refused(send(r, a, write(4n, SIGNALED), write(5n)), 2, ENOMEM);
    expect(full.reason).toContain('holds its 4');
    expect(pollCq(cq, 8).map((w) => w.wrId)).toEqual([4n]); // polling the signalled one frees all four slots
    posted(send(r, a, write(6n), write(7n), write(8n), write(9n, SIGNALED)));
    refused(send(r, a, write(10n)), 1, ENOMEM);
    expect(pollCq(cq, 8).map((w) => w.wrId)).toEqual([9n]);

    const all = await r.qp(RC, { cq, flags: core.IB_UVERBS_QP_CREATE_FLAGS.IB_UVERBS_QP_CREATE_SQ_SIG_ALL });
    const peer = await r.qp(RC, { cq });
    r.connect(all, peer);
    posted(send(r, all, write(20n), write(21n)));
    expect(pollCq(cq, 8).map((w) => [w.wrId, w.qpNum])).toEqual([[20n, all.qpn], [21n, all.qpn]]);
    expect(queryQp(all).sqSigAll).toBe(1);
  });

  it('checks each request as it is posted and reports the first refused', async () => {
    const r = await Rig.open();
    const cq = await r.cq();
    const rc = await r.qp(RC, { cq, maxSge: 2 });
    const uc = await r.qp(QPT.IB_UVERBS_QPT_UC, { cq });
    const m = await r.mr(64);
    const ok: SendWr = { wrId: 1n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: 0, sgList: [sge(m, 0, 4)] };
    refused(postRecv(r.state, rc, [{ wrId: 1n, sgList: [] }]), 1, EINVAL); // RESET
    r.init(rc);
    refused(send(r, rc, ok), 1, EINVAL); // INIT: no sends before RTS
    posted(postRecv(r.state, rc, [{ wrId: 1n, sgList: [] }]));
    refused(postRecv(r.state, rc, [{ wrId: 2n, sgList: [] }, { wrId: 3n, sgList: [sge(m, 0, 1), sge(m, 1, 1), sge(m, 2, 1)] }]), 2, EINVAL);
    expect(rc.rq.pending.map((w) => w.wrId)).toEqual([1n, 2n]); // those before the bad one stay posted
    const peer = await r.qp(RC, { cq });
    r.rtr(rc, peer);
    r.rts(rc);
    expect(rc.cap.maxSendSge).toBe(5); // a 128-byte WQE leaves room for 5
    refused(send(r, rc, ok, { ...ok, sgList: Array.from({ length: 6 }, (_, i) => sge(m, i, 1)) }), 2, EINVAL);
    refused(send(r, rc, { ...ok, opcode: OP.IB_UVERBS_WR_LOCAL_INV }), 1, EINVAL);
    refused(send(r, rc, { ...ok, opcode: OP.IB_UVERBS_WR_RDMA_WRITE }), 1, EINVAL); // no remote address
    r.init(uc);
    r.rtr(uc, peer);
    r.rts(uc);
    refused(send(r, uc, { ...ok, opcode: OP.IB_UVERBS_WR_RDMA_READ, rdma: { remoteAddr: 0n, rkey: 0 } }), 1, EINVAL); // UC has no reads
    const raw = await r.qp(QPT.IB_UVERBS_QPT_RAW_PACKET, { cq });
    refused(send(r, raw, ok), 1, EOPNOTSUPP);
    const ud = await r.qp(QPT.IB_UVERBS_QPT_UD, { cq });
    r.udReady(ud, 0x11);
    refused(send(r, ud, ok), 1, EINVAL); // a UD send names an AH
  });

  it('completes a send with a bad lkey with LOC_PROT_ERR, moves the QP to ERR and flushes the rest', async () => {
    const { r, a, b, cqA, ma } = await rcPair();
    posted(postRecv(r.state, a, [{ wrId: 50n, sgList: [sge(ma, 0, 8)] }]));
    const bad: SendWr = { wrId: 1n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: 0, sgList: [{ addr: ma.addr, length: 8, lkey: ma.mr.lkey ^ 0x100 }] };
    const outside: SendWr = { wrId: 2n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: 0, sgList: [sge(ma, 4090, 8)] };
    posted(send(r, a, bad, outside));
    expect(queryQp(a).qpState).toBe(QpState.ERR);
    expect(pollCq(cqA, 8)).toEqual([
      wcOf({ wrId: 1n, status: WcStatus.LOC_PROT_ERR, opcode: WCO.IB_UVERBS_WC_SEND, qpNum: a.qpn }), // errors complete even unsignaled
      wcOf({ wrId: 2n, status: WcStatus.WR_FLUSH_ERR, opcode: WCO.IB_UVERBS_WC_SEND, qpNum: a.qpn }),
      wcOf({ wrId: 50n, status: WcStatus.WR_FLUSH_ERR, opcode: WcRecvOpcode.RECV, qpNum: a.qpn }),
    ]);
    // In ERR, what is posted is flushed at once.
    posted(send(r, a, { ...outside, wrId: 3n }));
    posted(postRecv(r.state, a, [{ wrId: 51n, sgList: [] }]));
    expect(pollCq(cqA, 8).map((w) => [w.wrId, w.status])).toEqual([[3n, WcStatus.WR_FLUSH_ERR], [51n, WcStatus.WR_FLUSH_ERR]]);
    expect(queryQp(b).qpState).toBe(QpState.RTS);
  });

  it('reports a receive too short as LOC_LEN_ERR there and REM_INV_REQ_ERR to the sender; a receive it cannot write as LOC_PROT_ERR and REM_OP_ERR', async () => {
    const { r, a, b, cqA, cqB, ma, mb } = await rcPair();
    posted(postRecv(r.state, b, [{ wrId: 1n, sgList: [sge(mb, 0, 4)] }, { wrId: 2n, sgList: [] }]));
    posted(send(r, a, { wrId: 9n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: SIGNALED, sgList: [sge(ma, 0, 5)] }));
    expect(pollCq(cqB, 8)).toEqual([
      wcOf({ wrId: 1n, status: WcStatus.LOC_LEN_ERR, opcode: WcRecvOpcode.RECV, qpNum: b.qpn, slid: IB_LID, sl: 3 }),
      wcOf({ wrId: 2n, status: WcStatus.WR_FLUSH_ERR, opcode: WcRecvOpcode.RECV, qpNum: b.qpn }),
    ]);
    expect(pollCq(cqA, 8)).toEqual([wcOf({ wrId: 9n, status: WcStatus.REM_INV_REQ_ERR, opcode: WCO.IB_UVERBS_WC_SEND, qpNum: a.qpn })]);
    expect([queryQp(a).qpState, queryQp(b).qpState]).toEqual([QpState.ERR, QpState.ERR]);

    const p = await rcPair();
    const readOnly = await p.r.mr(64, 0);
    posted(postRecv(p.r.state, p.b, [{ wrId: 1n, sgList: [sge(readOnly, 0, 64)] }]));
    posted(send(p.r, p.a, { wrId: 2n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: 0, sgList: [sge(p.ma, 0, 5)] }));
    expect(pollCq(p.cqB, 8).map((w) => [w.wrId, w.status])).toEqual([[1n, WcStatus.LOC_PROT_ERR]]);
    expect(pollCq(p.cqA, 8).map((w) => [w.wrId, w.status])).toEqual([[2n, WcStatus.REM_OP_ERR]]);
  });

  it('answers REM_ACCESS_ERR for an rkey without the access, and the responder reports QP_ACCESS_ERR', async () => {
    const r = await Rig.open();
    const ev = (await r.s.call(core.encodeAsyncEventAlloc, {}, core.decodeAsyncEventAllocOut)).fdHandle;
    const cqA = await r.cq();
    const cqB = await r.cq();
    const a = await r.qp(RC, { cq: cqA });
    const b = await r.qp(RC, { cq: cqB, userHandle: 0xb0bn });
    r.connect(a, b);
    const ma = await r.mr(64);
    const noRemoteWrite = await r.mr(64, ACC.IB_UVERBS_ACCESS_LOCAL_WRITE | ACC.IB_UVERBS_ACCESS_REMOTE_READ);
    const write: SendWr = { wrId: 1n, opcode: OP.IB_UVERBS_WR_RDMA_WRITE, sendFlags: SIGNALED, sgList: [sge(ma, 0, 8)], rdma: { remoteAddr: noRemoteWrite.addr, rkey: noRemoteWrite.mr.rkey } };
    posted(send(r, a, write));
    expect(noRemoteWrite.bytes.every((x) => x === 0)).toBe(true);
    expect(pollCq(cqA, 8)).toEqual([wcOf({ wrId: 1n, status: WcStatus.REM_ACCESS_ERR, opcode: WCO.IB_UVERBS_WC_RDMA_WRITE, qpNum: a.qpn })]);
    expect(queryQp(b).qpState).toBe(QpState.ERR);
    expect(asyncEvents(r, ev)).toMatchObject([{ element: 0xb0bn, eventType: IbEvent.QP_ACCESS_ERR }]);

    // The QP's own access flags count too: a peer without REMOTE_READ refuses reads of any MR.
    const p = await rcPair({ access: ACC.IB_UVERBS_ACCESS_REMOTE_WRITE });
    posted(send(p.r, p.a, { wrId: 2n, opcode: OP.IB_UVERBS_WR_RDMA_READ, sendFlags: 0, sgList: [sge(p.ma, 0, 8)], rdma: { remoteAddr: p.mb.addr, rkey: p.mb.mr.rkey } }));
    expect(pollCq(p.cqA, 8).map((w) => [w.wrId, w.status])).toEqual([[2n, WcStatus.REM_ACCESS_ERR]]);
    // ...and an rkey of another PD.
    const q = await rcPair();
    const otherPd = q.r.s.create('PD', newPd(q.r.state));
    const foreign: Region = await q.r.mr(64, ACC.IB_UVERBS_ACCESS_LOCAL_WRITE | ACC.IB_UVERBS_ACCESS_REMOTE_WRITE, otherPd);
    posted(send(q.r, q.a, { ...write, sgList: [sge(q.ma, 0, 8)], rdma: { remoteAddr: foreign.addr, rkey: foreign.mr.rkey } }));
    expect(pollCq(q.cqA, 8).map((w) => w.status)).toEqual([WcStatus.REM_ACCESS_ERR]);
  });

  it('makes an RC sender with rnr_retry 7 wait for a receive, and gives up at once with fewer retries', async () => {
    const { r, a, b, cqA, cqB, ma, mb } = await rcPair();
    posted(send(r, a,
      { wrId: 1n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: SIGNALED, sgList: [sge(ma, 0, 4)] },
      { wrId: 2n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: SIGNALED, sgList: [sge(ma, 4, 4)] },
    ));
    expect([cqA.entries.length, a.sq.pending.length]).toEqual([0, 2]);
    posted(postRecv(r.state, b, [{ wrId: 10n, sgList: [sge(mb, 0, 4)] }]));
    expect(pollCq(cqA, 8).map((w) => w.wrId)).toEqual([1n]); // the second waits for the next receive
    posted(postRecv(r.state, b, [{ wrId: 11n, sgList: [sge(mb, 4, 4)] }]));
    expect(pollCq(cqA, 8).map((w) => w.wrId)).toEqual([2n]);
    expect(pollCq(cqB, 8).map((w) => w.wrId)).toEqual([10n, 11n]);

    const p = await rcPair({ rnrRetry: 3 });
    posted(send(p.r, p.a, { wrId: 5n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: 0, sgList: [sge(p.ma, 0, 4)] }));
    expect(pollCq(p.cqA, 8)).toEqual([wcOf({ wrId: 5n, status: WcStatus.RNR_RETRY_EXC_ERR, opcode: WCO.IB_UVERBS_WC_SEND, qpNum: p.a.qpn })]);
    expect(queryQp(p.a).qpState).toBe(QpState.ERR);
  });

  it('answers RETRY_EXC_ERR when nothing listens at the destination, and flushes on a move to ERR', async () => {
    const { r, a, b, cqA, cqB, ma, mb } = await rcPair();
    posted(postRecv(r.state, b, [{ wrId: 1n, sgList: [sge(mb, 0, 8)] }, { wrId: 2n, sgList: [sge(mb, 8, 8)] }]));
    modifyQp(r.state, b, M.STATE, { qpState: QpState.ERR });
    expect(pollCq(cqB, 8).map((w) => [w.wrId, w.status, w.qpNum])).toEqual([[1n, WcStatus.WR_FLUSH_ERR, b.qpn], [2n, WcStatus.WR_FLUSH_ERR, b.qpn]]);
    posted(send(r, a, { wrId: 3n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: 0, sgList: [sge(ma, 0, 4)] }));
    expect(pollCq(cqA, 8).map((w) => [w.wrId, w.status])).toEqual([[3n, WcStatus.RETRY_EXC_ERR]]);
  });

  it('feeds QPs from a shared receive queue and reports its limit', async () => {
    const r = await Rig.open();
    const ev = (await r.s.call(core.encodeAsyncEventAlloc, {}, core.decodeAsyncEventAllocOut)).fdHandle;
    const cq = await r.cq();
    const srq = await r.srq(3, 2, ev);
    const a = await r.qp(RC, { cq });
    const b = await r.qp(RC, { cq });
    const c = await r.qp(RC, { cq, srq });
    const d = await r.qp(RC, { cq, srq });
    r.connect(a, c);
    r.connect(b, d);
    const m = await r.mr(256);
    posted(postSrqRecv(r.state, srq, [{ wrId: 1n, sgList: [sge(m, 0, 16)] }, { wrId: 2n, sgList: [sge(m, 16, 16)] }, { wrId: 3n, sgList: [sge(m, 32, 16)] }]));
    refused(postSrqRecv(r.state, srq, [{ wrId: 4n, sgList: [] }]), 1, ENOMEM);
    m.bytes.set(text('AB'), 200);
    posted(send(r, a, { wrId: 7n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: 0, sgList: [sge(m, 200, 1)] }));
    expect(asyncEvents(r, ev)).toEqual([]); // 2 left: not below the limit of 2
    posted(send(r, b, { wrId: 8n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: 0, sgList: [sge(m, 201, 1)] }));
    expect(asyncEvents(r, ev)).toMatchObject([{ element: 0x5e0n, eventType: IbEvent.SRQ_LIMIT_REACHED }]);
    expect(srq.limit).toBe(0); // the event disarms the limit
    expect([m.bytes[0], m.bytes[16]]).toEqual([0x41, 0x42]);
    expect(pollCq(cq, 8).map((w) => [w.wrId, w.qpNum])).toEqual([[1n, c.qpn], [2n, d.qpn]]);
    posted(postSrqRecv(r.state, srq, [{ wrId: 4n, sgList: [] }, { wrId: 5n, sgList: [] }])); // polling gave the two slots back
    modifyQp(r.state, c, M.STATE, { qpState: QpState.ERR });
    expect(asyncEvents(r, ev).map((e) => e.eventType)).toEqual([IbEvent.SRQ_LIMIT_REACHED, IbEvent.QP_LAST_WQE_REACHED]);
  });

  it('delivers UD sends through an AH, with the 40 bytes of the GRH first, and drops what it cannot deliver', async () => {
    const r = await Rig.open();
    const cq = await r.cq();
    const a = await r.qp(QPT.IB_UVERBS_QPT_UD, { cq });
    const b = await r.qp(QPT.IB_UVERBS_QPT_UD, { cq });
    r.udReady(a, 0x1111);
    r.udReady(b, 0x2222);
    const m = await r.mr(512);
    m.bytes.set(text('datagram'), 400);
    m.bytes.fill(0xee, 0, 40);
    const ah = newAh(r.state, r.pd, { port: IB_PORT, dlid: IB_LID, sl: 5 });
    posted(postRecv(r.state, b, [{ wrId: 1n, sgList: [sge(m, 0, 100)] }]));
    posted(send(r, a, { wrId: 2n, opcode: OP.IB_UVERBS_WR_SEND_WITH_IMM, sendFlags: SIGNALED, immData: 7, sgList: [sge(m, 400, 8)], ud: { ah, remoteQpn: b.qpn, remoteQkey: 0x2222 } }));
    expect(m.bytes.subarray(0, 40).every((x) => x === 0xee)).toBe(true); // no GRH on this path: the 40 bytes stay as they were
    expect(m.bytes.subarray(40, 48)).toEqual(text('datagram'));
    expect(pollCq(cq, 8)).toEqual([
      wcOf({ wrId: 1n, opcode: WcRecvOpcode.RECV, byteLen: 48, ex: { immData: 7, invalidateRkey: 7 }, wcFlags: WcFlags.WITH_IMM, qpNum: b.qpn, srcQp: a.qpn, slid: IB_LID, sl: 5 }),
      wcOf({ wrId: 2n, opcode: WCO.IB_UVERBS_WC_SEND, wcFlags: WcFlags.WITH_IMM, qpNum: a.qpn }),
    ]);
    // A wrong Q_Key, no receive posted, an unknown QP: dropped; the sender completes.
    posted(postRecv(r.state, b, [{ wrId: 3n, sgList: [sge(m, 0, 100)] }]));
    posted(send(r, a, { wrId: 4n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: SIGNALED, sgList: [sge(m, 400, 8)], ud: { ah, remoteQpn: b.qpn, remoteQkey: 0x1111 } }));
    // A Q_Key with its high bit takes the sender's own (0x1111): b's is 0x2222, dropped too.
    posted(send(r, a, { wrId: 5n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: SIGNALED, sgList: [sge(m, 400, 8)], ud: { ah, remoteQpn: b.qpn, remoteQkey: 0x8000_0000 } }));
    expect(pollCq(cq, 8).map((w) => [w.wrId, w.status])).toEqual([[4n, WcStatus.SUCCESS], [5n, WcStatus.SUCCESS]]);
    expect(b.rq.pending.map((w) => w.wrId)).toEqual([3n]);
    // A receive too short for GRH space and payload: LOC_LEN_ERR, and the receiver goes to ERR.
    const short = await r.qp(QPT.IB_UVERBS_QPT_UD, { cq });
    r.udReady(short, 0x2222);
    posted(postRecv(r.state, short, [{ wrId: 6n, sgList: [sge(m, 0, 47)] }]));
    posted(send(r, a, { wrId: 7n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: 0, sgList: [sge(m, 400, 8)], ud: { ah, remoteQpn: short.qpn, remoteQkey: 0x2222 } }));
    expect(pollCq(cq, 8).map((w) => [w.wrId, w.status])).toEqual([[6n, WcStatus.LOC_LEN_ERR]]);
    expect(queryQp(short).qpState).toBe(QpState.ERR);
  });

  it('writes the GRH of a RoCE UD message and flags it', async () => {
    const r = await Rig.open();
    const cq = await r.cq();
    const a = await r.qp(QPT.IB_UVERBS_QPT_UD, { cq });
    const b = await r.qp(QPT.IB_UVERBS_QPT_UD, { cq });
    r.udReady(a, 9, ROCE_PORT);
    r.udReady(b, 9, ROCE_PORT);
    const m = await r.mr(256);
    const gid = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 1, 20]);
    const ah = newAh(r.state, r.pd, { port: ROCE_PORT, grh: { dgid: gid, sgidIndex: 3, flowLabel: 0xabcde, hopLimit: 64, trafficClass: 0x10 } });
    posted(postRecv(r.state, b, [{ wrId: 1n, sgList: [sge(m, 0, 128)] }]));
    posted(send(r, a, { wrId: 2n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: 0, sgList: [sge(m, 200, 5)], ud: { ah, remoteQpn: b.qpn, remoteQkey: 9 } }));
    const grh = new DataView(m.bytes.buffer, m.bytes.byteOffset, 40);
    expect(grh.getUint32(0)).toBe(((6 << 28) | (0x10 << 20) | 0xabcde) >>> 0);
    expect(grh.getUint16(4)).toBe(12 + 8 + 8 + 4); // BTH, DETH, 5 bytes padded to 8, ICRC
    expect([m.bytes[6], m.bytes[7]]).toEqual([0x1b, 64]);
    expect(m.bytes.subarray(8, 24)).toEqual(gid); // SGID index 3 is this same address
    expect(m.bytes.subarray(24, 40)).toEqual(gid);
    expect(pollCq(cq, 8)).toEqual([
      wcOf({ wrId: 1n, opcode: WcRecvOpcode.RECV, byteLen: 45, qpNum: b.qpn, srcQp: a.qpn, wcFlags: WcFlags.GRH | WcFlags.WITH_NETWORK_HDR_TYPE }),
    ]);
  });

  it('delivers a UD send to a multicast group to every attached QP', async () => {
    const r = await Rig.open();
    const cq = await r.cq();
    const [s, x, y, z] = [await r.qp(QPT.IB_UVERBS_QPT_UD, { cq }), await r.qp(QPT.IB_UVERBS_QPT_UD, { cq }), await r.qp(QPT.IB_UVERBS_QPT_UD, { cq }), await r.qp(QPT.IB_UVERBS_QPT_UD, { cq })];
    for (const q of [s, x, y, z]) r.udReady(q, 0x77);
    const mgid = Uint8Array.from([0xff, 0x12, 0x40, 0x1b, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    attachMcast(r.state, x, mgid, 0xc001);
    attachMcast(r.state, x, mgid, 0xc001); // again: already attached, nothing to do
    attachMcast(r.state, y, mgid, 0xc001);
    attachMcast(r.state, z, mgid, 0xc002); // another group on InfiniBand: another MLID
    expect(x.mcast.size).toBe(1);
    const m = await r.mr(1024);
    for (const [i, q] of [x, y, z].entries()) posted(postRecv(r.state, q, [{ wrId: BigInt(i), sgList: [sge(m, 100 * i, 100)] }]));
    const ah = newAh(r.state, r.pd, { port: IB_PORT, dlid: 0xc001, grh: { dgid: mgid, sgidIndex: 0, flowLabel: 0, hopLimit: 1, trafficClass: 0 } });
    m.bytes.set(text('all'), 900);
    posted(send(r, s, { wrId: 9n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: 0, sgList: [sge(m, 900, 3)], ud: { ah, remoteQpn: MULTICAST_QPN, remoteQkey: 0x77 } }));
    expect(pollCq(cq, 8).map((w) => [w.qpNum, w.byteLen, w.srcQp, w.wcFlags])).toEqual([[x.qpn, 43, s.qpn, WcFlags.GRH], [y.qpn, 43, s.qpn, WcFlags.GRH]]);
    expect([m.bytes.subarray(40, 43), m.bytes.subarray(140, 143)]).toEqual([text('all'), text('all')]);

    const unicastGid = new Uint8Array(16);
    expect(() => attachMcast(r.state, x, unicastGid, 0xc001)).toThrow(expect.objectContaining({ errno: EINVAL }));
    expect(() => attachMcast(r.state, x, mgid, 0x10)).toThrow(expect.objectContaining({ errno: EINVAL })); // not a multicast LID on InfiniBand
    const rc = await r.qp(RC, { cq });
    expect(() => attachMcast(r.state, rc, mgid, 0xc001)).toThrow(expect.objectContaining({ errno: EINVAL }));
    expect(() => detachMcast(r.state, y, mgid, 0xc002)).toThrow(expect.objectContaining({ errno: EINVAL }));
    await r.s.fails(EBUSY, core.encodeQpDestroy, { handle: r.handle(x) }); // still in a group
    detachMcast(r.state, x, mgid, 0xc001);
    expect(x.mcast.size).toBe(0);
    await r.s.call(core.encodeQpDestroy, { handle: r.handle(x) }, core.decodeQpDestroyOut);
  });

  it('drops a destroyed QP\'s completions from its CQs and forgets its number', async () => {
    const { r, a, b, cqA, cqB, ma, mb } = await rcPair();
    posted(postRecv(r.state, b, [{ wrId: 1n, sgList: [sge(mb, 0, 8)] }]));
    posted(send(r, a, { wrId: 2n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: SIGNALED, sgList: [sge(ma, 0, 8)] }));
    await r.s.call(core.encodeQpDestroy, { handle: r.handle(b) }, core.decodeQpDestroyOut);
    expect(cqB.entries).toEqual([]);
    expect(r.state.qps.has(b.qpn)).toBe(false);
    expect(pollCq(cqA, 8).map((w) => w.wrId)).toEqual([2n]);
    posted(send(r, a, { wrId: 3n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: 0, sgList: [sge(ma, 0, 8)] }));
    expect(pollCq(cqA, 8).map((w) => w.status)).toEqual([WcStatus.RETRY_EXC_ERR]);
  });
});
