/**
 * The QP state machine of the emulated core device: the transitions and attribute
 * masks of ib_modify_qp_is_ok, the checks of the request against the device, what
 * QUERY_QP reports, and what states do to the work queues.
 */
import { describe, expect, it } from 'vitest';
import * as core from '../../generated/core/index.js';
import { EINVAL, ENODATA, EOPNOTSUPP, EPERM } from '../../runtime/abi/errno.js';
import {
  defaultCaps, IbEvent, isModifyOk, modifyQp, Mtu, pollCq, postRecv, postSend, QpAttrMask as M, QpState, queryQp, SendFlags, WcStatus,
  type ModifyQpAttr, type Qp,
} from '../../runtime/emulated/core/index.js';
import { IB_LID, IB_PORT, posted, REMOTE_ALL, Rig, ROCE_PORT, sge } from './loopback-rig.js';
import { errnoOf } from './helpers.js';
import { objectAt } from '../../runtime/kernel/object-file.js';

const { IB_UVERBS_QP_TYPE: QPT, IB_UVERBS_WR_OPCODE: OP } = core;

/** The modify fails with `errno` and leaves the QP as it was. */
function refusedModify(r: Rig, qp: Qp, errno: number, mask: number, a: ModifyQpAttr): void {
  const before = queryQp(qp);
  expect(errnoOf(() => modifyQp(r.state, qp, mask, a))).toBe(errno);
  expect(queryQp(qp)).toEqual(before);
}

describe('emulated core device: QP states', () => {
  it('takes two RC QPs RESET -> INIT -> RTR -> RTS and reports every attribute', async () => {
    const r = await Rig.open();
    const a = await r.qp(QPT.IB_UVERBS_QPT_RC, { maxSendWr: 5, maxInlineData: 60 });
    const b = await r.qp(QPT.IB_UVERBS_QPT_RC);
    expect(queryQp(a).qpState).toBe(QpState.RESET);

    r.init(a);
    expect(queryQp(a)).toMatchObject({ qpState: QpState.INIT, curQpState: QpState.INIT, portNum: IB_PORT, pkeyIndex: 0, qpAccessFlags: REMOTE_ALL });
    r.rtr(a, b, { psn: 0x1234 });
    expect(queryQp(a)).toMatchObject({ qpState: QpState.RTR, destQpNum: b.qpn, rqPsn: 0x1234, pathMtu: Mtu.MTU_1024, maxDestRdAtomic: 4, minRnrTimer: 12 });
    r.rts(a, { psn: 0x4321, rnrRetry: 6, maxRdAtomic: 2 });

    const zeroDest = { dgid: new Uint8Array(16), flowLabel: 0, dlid: 0, reserved: 0, sgidIndex: 0, hopLimit: 0, trafficClass: 0, sl: 0, srcPathBits: 0, staticRate: 0, isGlobal: 0, portNum: 0 };
    expect(queryQp(a)).toEqual({
      dest: { ...zeroDest, dlid: IB_LID, sl: 3, portNum: IB_PORT },
      altDest: zeroDest,
      // 60 inline bytes make a 128-byte WQE: 48 of header, room for 5 SGEs or 76 inline bytes.
      maxSendWr: 8, maxRecvWr: 8, maxSendSge: 5, maxRecvSge: 2, maxInlineData: 76,
      qkey: 0, rqPsn: 0x1234, sqPsn: 0x4321, destQpNum: b.qpn, qpAccessFlags: REMOTE_ALL, pkeyIndex: 0, altPkeyIndex: 0,
      qpState: QpState.RTS, curQpState: QpState.RTS, pathMtu: Mtu.MTU_1024, pathMigState: 0, sqDraining: 0,
      maxRdAtomic: 2, maxDestRdAtomic: 4, minRnrTimer: 12, portNum: IB_PORT, timeout: 14, retryCnt: 7, rnrRetry: 6,
      altPortNum: 0, altTimeout: 0, sqSigAll: 0,
    });
  });

  it('follows the transition table of ib_modify_qp_is_ok', () => {
    const RC = QPT.IB_UVERBS_QPT_RC;
    const UD = QPT.IB_UVERBS_QPT_UD;
    const UC = QPT.IB_UVERBS_QPT_UC;
    const rcInit = M.STATE | M.PKEY_INDEX | M.PORT | M.ACCESS_FLAGS;
    expect(isModifyOk(QpState.RESET, QpState.INIT, RC, rcInit)).toBe(true);
    expect(isModifyOk(QpState.RESET, QpState.INIT, RC, rcInit & ~M.ACCESS_FLAGS)).toBe(false); // a required attribute missing
    expect(isModifyOk(QpState.RESET, QpState.INIT, RC, rcInit | M.QKEY)).toBe(false); // an attribute RC does not take
    expect(isModifyOk(QpState.RESET, QpState.INIT, UD, M.STATE | M.PKEY_INDEX | M.PORT | M.QKEY)).toBe(true);
    expect(isModifyOk(QpState.RESET, QpState.RTR, RC, M.STATE)).toBe(false);
    expect(isModifyOk(QpState.RESET, QpState.RESET, RC, 0)).toBe(true);
    expect(isModifyOk(QpState.INIT, QpState.RTR, UD, M.STATE | M.QKEY)).toBe(true);
    expect(isModifyOk(QpState.INIT, QpState.RTR, UC, M.STATE | M.AV | M.PATH_MTU | M.DEST_QPN | M.RQ_PSN)).toBe(true);
    expect(isModifyOk(QpState.INIT, QpState.RTR, RC, M.STATE | M.AV | M.PATH_MTU | M.DEST_QPN | M.RQ_PSN)).toBe(false); // RC needs the RNR timer, responder resources
    expect(isModifyOk(QpState.RTS, QpState.SQD, RC, M.STATE | M.EN_SQD_ASYNC_NOTIFY)).toBe(true);
    expect(isModifyOk(QpState.SQE, QpState.RTS, UD, M.STATE | M.CUR_STATE)).toBe(true);
    expect(isModifyOk(QpState.SQE, QpState.RTS, RC, M.STATE)).toBe(true);
    expect(isModifyOk(QpState.SQE, QpState.RTS, RC, M.STATE | M.CUR_STATE)).toBe(false); // RC takes nothing on SQE -> RTS
    expect(isModifyOk(QpState.INIT, QpState.INIT, RC, M.CUR_STATE)).toBe(false); // CUR_STATE only from RTR, RTS, SQD, SQE
    expect(isModifyOk(QpState.ERR, QpState.RTS, RC, M.STATE)).toBe(false);
    expect(isModifyOk(QpState.RTR, QpState.ERR, RC, M.STATE)).toBe(true);
  });

  it('refuses what the kernel and the device refuse, and changes nothing then', async () => {
    const r = await Rig.open();
    const qp = await r.qp(QPT.IB_UVERBS_QPT_RC);
    const peer = await r.qp(QPT.IB_UVERBS_QPT_RC);
    const init = M.STATE | M.PKEY_INDEX | M.PORT | M.ACCESS_FLAGS;
    refusedModify(r, qp, EOPNOTSUPP, init | (1 << 22), { qpState: QpState.INIT, portNum: 1 });
    refusedModify(r, qp, EINVAL, init, { qpState: QpState.INIT, portNum: 3 }); // no port 3
    refusedModify(r, qp, EINVAL, init, { qpState: 7, portNum: 1 }); // no state 7
    refusedModify(r, qp, EINVAL, M.STATE, { qpState: QpState.RTR }); // RESET -> RTR
    refusedModify(r, qp, EINVAL, init, { qpState: QpState.INIT, portNum: 1, pkeyIndex: 128 }); // the table holds 128
    refusedModify(r, qp, EPERM, M.STATE | M.PKEY_INDEX | M.PORT | M.QKEY, { qpState: QpState.INIT, portNum: 1, qkey: 0x8000_0001 });
    r.init(qp);

    const rtr = M.STATE | M.AV | M.PATH_MTU | M.DEST_QPN | M.RQ_PSN | M.MAX_DEST_RD_ATOMIC | M.MIN_RNR_TIMER;
    const good = { qpState: QpState.RTR, dest: { dlid: IB_LID, portNum: IB_PORT }, pathMtu: Mtu.MTU_4096, destQpNum: peer.qpn, maxDestRdAtomic: 16 };
    refusedModify(r, qp, EINVAL, rtr, { ...good, dest: { dlid: IB_LID, portNum: ROCE_PORT } }); // the AV's port is not the QP's
    refusedModify(r, qp, EINVAL, rtr, { ...good, maxDestRdAtomic: 17 });
    refusedModify(r, qp, EINVAL, rtr, { ...good, pathMtu: 0 });
    refusedModify(r, qp, EINVAL, rtr, { ...good, pathMtu: 6 });
    refusedModify(r, qp, EINVAL, rtr, { ...good, dest: { isGlobal: 1, sgidIndex: 128, portNum: IB_PORT } }); // beyond the GID table
    refusedModify(r, qp, ENODATA, rtr, { ...good, dest: { isGlobal: 1, sgidIndex: 5, portNum: IB_PORT } }); // an empty GID entry
    refusedModify(r, qp, EINVAL, rtr | M.CUR_STATE, { ...good, curQpState: QpState.INIT });
    modifyQp(r.state, qp, rtr, good);
    expect(queryQp(qp).maxDestRdAtomic).toBe(16);
    refusedModify(r, qp, EINVAL, M.STATE | M.TIMEOUT | M.RETRY_CNT | M.RNR_RETRY | M.SQ_PSN | M.MAX_QP_RD_ATOMIC, { qpState: QpState.RTS, maxRdAtomic: 17 });
    refusedModify(r, qp, EINVAL, M.STATE | M.SQ_PSN, { qpState: QpState.RTS }); // RC needs its timeout, retries and read resources
  });

  it('takes a path MTU no larger than the port, a GRH on RoCE, alternate paths only on InfiniBand', async () => {
    const caps = defaultCaps();
    const r = await Rig.open({ ports: [{ ...caps.ports[0]!, maxMtu: Mtu.MTU_2048 }, caps.ports[1]!] });
    const qp = await r.qp(QPT.IB_UVERBS_QPT_RC);
    r.init(qp);
    const rtr = M.STATE | M.AV | M.PATH_MTU | M.DEST_QPN | M.RQ_PSN | M.MAX_DEST_RD_ATOMIC | M.MIN_RNR_TIMER;
    const good = { qpState: QpState.RTR, dest: { dlid: IB_LID, portNum: IB_PORT }, pathMtu: Mtu.MTU_2048, destQpNum: 0x100 };
    refusedModify(r, qp, EINVAL, rtr, { ...good, pathMtu: Mtu.MTU_4096 });
    refusedModify(r, qp, EINVAL, rtr | M.ALT_PATH, { ...good, altPortNum: ROCE_PORT, altDest: { portNum: ROCE_PORT, isGlobal: 1 } });
    modifyQp(r.state, qp, rtr | M.ALT_PATH, { ...good, altPortNum: IB_PORT, altTimeout: 9, altPkeyIndex: 2, altDest: { portNum: IB_PORT, dlid: 9, sl: 1 } });
    expect(queryQp(qp)).toMatchObject({ pathMtu: Mtu.MTU_2048, altPortNum: IB_PORT, altTimeout: 9, altPkeyIndex: 2, altDest: { dlid: 9, sl: 1, portNum: IB_PORT } });

    const roce = await r.qp(QPT.IB_UVERBS_QPT_RC);
    modifyQp(r.state, roce, M.STATE | M.PKEY_INDEX | M.PORT | M.ACCESS_FLAGS, { qpState: QpState.INIT, portNum: ROCE_PORT, pkeyIndex: 0 });
    const roceRtr = { ...good, pathMtu: Mtu.MTU_1024, dest: { portNum: ROCE_PORT } };
    refusedModify(r, roce, EINVAL, rtr, roceRtr);
    const dgid = new Uint8Array([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x9a, 0x03, 0x9b, 0xff, 0xfe, 0xa1, 0xb2, 0xc4]);
    modifyQp(r.state, roce, rtr, { ...roceRtr, dest: { portNum: ROCE_PORT, isGlobal: 1, sgidIndex: 1, dgid, hopLimit: 64, flowLabel: 0x12345, trafficClass: 0x20 } });
    expect(queryQp(roce).dest).toEqual({
      dgid, flowLabel: 0x12345, dlid: 0, reserved: 0, sgidIndex: 1, hopLimit: 64, trafficClass: 0x20, sl: 0, srcPathBits: 0, staticRate: 0, isGlobal: 1, portNum: ROCE_PORT,
    });
  });

  it('masks PSNs to 24 bits and keeps the Q_Key of a UD QP', async () => {
    const r = await Rig.open();
    const ud = await r.qp(QPT.IB_UVERBS_QPT_UD);
    modifyQp(r.state, ud, M.STATE | M.PKEY_INDEX | M.PORT | M.QKEY, { qpState: QpState.INIT, portNum: IB_PORT, pkeyIndex: 3, qkey: 0x1111 });
    modifyQp(r.state, ud, M.STATE | M.QKEY, { qpState: QpState.RTR, qkey: 0x2222 });
    modifyQp(r.state, ud, M.STATE | M.SQ_PSN, { qpState: QpState.RTS, sqPsn: 0x1ab_cdef });
    expect(queryQp(ud)).toMatchObject({ qpState: QpState.RTS, qkey: 0x2222, sqPsn: 0xab_cdef, pkeyIndex: 3, portNum: IB_PORT });
    modifyQp(r.state, ud, M.CUR_STATE | M.QKEY, { curQpState: QpState.RTS, qkey: 0x3333 }); // RTS -> RTS
    expect(queryQp(ud)).toMatchObject({ qpState: QpState.RTS, qkey: 0x3333 });
  });

  it('RESET forgets the attributes and empties the queues without completions', async () => {
    const r = await Rig.open();
    const cq = await r.cq();
    const a = await r.qp(QPT.IB_UVERBS_QPT_RC, { cq });
    const b = await r.qp(QPT.IB_UVERBS_QPT_RC, { cq });
    r.connect(a, b);
    const m = await r.mr(64);
    posted(postRecv(r.state, a, [{ wrId: 1n, sgList: [sge(m, 0, 64)] }]));
    posted(postSend(r.state, b, [{ wrId: 2n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: SendFlags.SIGNALED, sgList: [sge(m, 0, 8)] }], r.s.process.memory));
    expect(cq.entries).toHaveLength(2);
    posted(postRecv(r.state, a, [{ wrId: 3n, sgList: [sge(m, 0, 64)] }]));
    modifyQp(r.state, a, M.STATE, { qpState: QpState.RESET });
    expect(queryQp(a)).toMatchObject({ qpState: QpState.RESET, destQpNum: 0, portNum: 0, qpAccessFlags: 0, sqPsn: 0 });
    expect(a.rq).toEqual({ pending: [], head: 0, tail: 0 });
    expect(pollCq(cq, 10).map((w) => [w.qpNum, w.wrId])).toEqual([[b.qpn, 2n]]); // a's receive completion went with the reset
  });

  it('holds sends in SQD, reports SQ_DRAINED when asked, and resumes in RTS', async () => {
    const r = await Rig.open();
    const ev = (await r.s.call(core.encodeAsyncEventAlloc, {}, core.decodeAsyncEventAllocOut)).fdHandle;
    const cq = await r.cq();
    const a = await r.qp(QPT.IB_UVERBS_QPT_RC, { cq, userHandle: 0xaaan, eventFd: ev });
    const b = await r.qp(QPT.IB_UVERBS_QPT_RC, { cq });
    r.connect(a, b);
    const m = await r.mr(64);
    modifyQp(r.state, a, M.STATE | M.EN_SQD_ASYNC_NOTIFY, { qpState: QpState.SQD, enSqdAsyncNotify: 1 });
    expect(objectAt(r.s.process, ev)!.object).toMatchObject({ events: [{ element: 0xaaan, eventType: IbEvent.SQ_DRAINED }] });
    posted(postRecv(r.state, b, [{ wrId: 7n, sgList: [sge(m, 32, 32)] }]));
    posted(postSend(r.state, a, [{ wrId: 8n, opcode: OP.IB_UVERBS_WR_SEND, sendFlags: SendFlags.SIGNALED, sgList: [sge(m, 0, 4)] }], r.s.process.memory));
    expect(cq.entries).toHaveLength(0);
    modifyQp(r.state, a, M.STATE, { qpState: QpState.RTS });
    expect(pollCq(cq, 4).map((w) => [w.wrId, w.status])).toEqual([[7n, WcStatus.SUCCESS], [8n, WcStatus.SUCCESS]]);
  });
});
