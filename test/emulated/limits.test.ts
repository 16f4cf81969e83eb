/**
 * What only the device can check: its limits and rounding, the features it offers,
 * flag bits its handlers allow, and the errno Linux answers for each.
 */
import { describe, expect, it } from 'vitest';
import * as core from '../../generated/core/index.js';
import { EBADF, EBUSY, EFAULT, EINVAL, ENODATA, ENOENT, ENOMEM, EOPNOTSUPP, EPERM } from '../../runtime/abi/errno.js';
import { UserPtr } from '../../runtime/user/ioctl-buffer.js';
import { newAh, newFlow, newMw, newPd, newRwqIndTbl, newXrcd, type Counters, type Qp, type Wq } from '../../runtime/emulated/core/index.js';
import { Session } from './helpers.js';

const { IB_UVERBS_QP_TYPE: QPT, IB_UVERBS_SRQ_TYPE: SRQT, IB_UVERBS_ACCESS_FLAGS: ACC, IB_UVERBS_QP_CREATE_FLAGS: QPF } = core;

/** `base` with `x` applied; a key given as undefined is left out. */
function input<T extends object>(base: T, x: { [K in keyof T]?: T[K] | undefined }): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(x)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out as T;
}

function cqIn(cqe: number, extra: Partial<core.CqCreateIn> = {}): core.CqCreateIn {
  return { cqe, userHandle: 0n, compVector: 0, ...extra };
}

async function setup(s: Session): Promise<{ pdh: number; c: number }> {
  const pdh = s.create('PD', newPd(s.state));
  const c = (await s.call(core.encodeCqCreate, cqIn(64), core.decodeCqCreateOut)).handle;
  return { pdh, c };
}

function qpIn(pdh: number, c: number, type: number, cap: core.IbUverbsQpCapInit, extra: { [K in keyof core.QpCreateIn]?: core.QpCreateIn[K] | undefined } = {}): core.QpCreateIn {
  const base: core.QpCreateIn = { pdHandle: pdh, sendCqHandle: c, recvCqHandle: c, userHandle: 0n, cap, type };
  return input(base, extra);
}

describe('emulated core device: device queries', () => {
  it('needs a context for queries and creates', async () => {
    const s = await Session.open({}, false);
    await s.fails(EINVAL, core.encodeQueryPort, { portNum: 1 });
    await s.fails(EINVAL, core.encodeQueryContext, {});
    await s.fails(EINVAL, core.encodeQueryGidEntry, { port: 1, gidIndex: 0, flags: 0 });
    await s.fails(EINVAL, core.encodeCqCreate, cqIn(1));
  });

  it('GET_CONTEXT takes no UCAP fds: EBADF for a closed fd, EINVAL for another kind of file', async () => {
    const s = await Session.open({}, false);
    await s.fails(EBADF, core.encodeGetContext, { fdArr: [99] });
    await s.fails(EINVAL, core.encodeGetContext, { fdArr: [s.fd] });
    expect(s.file.context).toBeUndefined();
  });

  it('QUERY_GID_ENTRY: EINVAL for a bad port, index or flag; ENODATA for an empty entry', async () => {
    const s = await Session.open();
    await s.fails(EINVAL, core.encodeQueryGidEntry, { port: 0, gidIndex: 0, flags: 0 });
    await s.fails(EINVAL, core.encodeQueryGidEntry, { port: 2, gidIndex: 256, flags: 0 });
    await s.fails(EINVAL, core.encodeQueryGidEntry, { port: 1, gidIndex: 0, flags: 1 });
    await s.fails(ENODATA, core.encodeQueryGidEntry, { port: 2, gidIndex: 4, flags: 0 });
  });

  it('QUERY_GID_TABLE: the stride given, EINVAL when the table does not fit or the stride is 0', async () => {
    const s = await Session.open();
    await s.fails(EINVAL, core.encodeQueryGidTable, { entrySize: 0, respEntries: 8 });
    await s.fails(EINVAL, core.encodeQueryGidTable, { entrySize: 32, respEntries: 4 });
    await s.fails(EINVAL, core.encodeQueryGidTable, { entrySize: 32, respEntries: 8, flags: 1 });
    const m = s.map(4096);
    m.bytes.fill(0xee);
    const out = await s.call(core.encodeQueryGidTable, { entrySize: 40, respEntries: new UserPtr(m.addr, 400) }, core.decodeQueryGidTableOut);
    expect(out.respNumEntries).toBe(5n);
    const v = new DataView(m.bytes.buffer, m.bytes.byteOffset);
    const entries = [0, 1, 2, 3, 4].map((i) => core.decodeIbUverbsGidEntry(v, 40 * i));
    expect(entries.map((e) => [e.portNum, e.gidIndex])).toEqual([[1, 0], [2, 0], [2, 1], [2, 2], [2, 3]]);
    expect([...m.bytes.subarray(32, 40)]).toEqual(new Array(8).fill(0)); // the longer stride is zero-padded
    expect(m.bytes[200]).toBe(0xee); // nothing past the entries written
  });

  it('INFO_HANDLES: ENOENT for an unknown type, EINVAL without room, and no more than the room', async () => {
    const s = await Session.open();
    await s.call(core.encodeCqCreate, cqIn(1), core.decodeCqCreateOut);
    await s.call(core.encodeCqCreate, cqIn(1), core.decodeCqCreateOut);
    await s.fails(ENOENT, core.encodeInfoHandles, { objectId: 99, handlesList: 4 });
    await s.fails(EINVAL, core.encodeInfoHandles, { objectId: core.UVERBS_OBJECT.CQ });
    const out = await s.call(core.encodeInfoHandles, { objectId: core.UVERBS_OBJECT.CQ, totalHandles: true, handlesList: 1 }, core.decodeInfoHandlesOut);
    expect(out.totalHandles).toBe(1);
    const none = await s.call(core.encodeInfoHandles, { objectId: core.UVERBS_OBJECT.QP, totalHandles: true, handlesList: 4 }, core.decodeInfoHandlesOut);
    expect(none.totalHandles).toBe(0);
  });
});

describe('emulated core device: CQ limits', () => {
  it('rounds CQE counts up to a power of two minus one, refuses 0 and above the maximum', async () => {
    const s = await Session.open();
    const granted: number[] = [];
    for (const cqe of [1, 2, 3, 4, 100, 4096, (1 << 22) - 1]) granted.push((await s.call(core.encodeCqCreate, cqIn(cqe), core.decodeCqCreateOut)).respCqe);
    expect(granted).toEqual([1, 3, 3, 7, 127, 8191, (1 << 22) - 1]);
    await s.fails(EINVAL, core.encodeCqCreate, cqIn(0));
    await s.fails(EINVAL, core.encodeCqCreate, cqIn(1 << 22));
  });

  it('follows the caps: a smaller maxCqe, fewer vectors, no CQ flags', async () => {
    const s = await Session.open({ maxCqe: 1023, numCompVectors: 2, cqCreateFlags: 0 });
    expect((await s.call(core.encodeCqCreate, cqIn(1023, { compVector: 1 }), core.decodeCqCreateOut)).respCqe).toBe(1023);
    await s.fails(EINVAL, core.encodeCqCreate, cqIn(1024));
    await s.fails(EINVAL, core.encodeCqCreate, cqIn(1, { compVector: 2 }));
    await s.fails(EOPNOTSUPP, core.encodeCqCreate, cqIn(1, { flags: 1 }));
    await s.fails(EINVAL, core.encodeCqCreate, cqIn(1, { flags: 4 })); // outside ib_uverbs_ex_create_cq_flags
  });

  it('takes user CQ buffers that are mapped and large enough', async () => {
    const s = await Session.open();
    const m = s.map(8192);
    await s.call(core.encodeCqCreate, cqIn(127, { bufferVa: m.addr, bufferLength: 8192 }), core.decodeCqCreateOut);
    await s.fails(EINVAL, core.encodeCqCreate, cqIn(128, { bufferVa: m.addr, bufferLength: 8192 })); // 256 CQEs of 64 bytes
    await s.fails(EFAULT, core.encodeCqCreate, cqIn(1, { bufferVa: 0x1000, bufferLength: 4096 }));
    await s.fails(ENOENT, core.encodeCqCreate, cqIn(1, { bufferVa: m.addr }));
    await s.fails(EINVAL, core.encodeCqCreate, cqIn(1, { bufferLength: 4096 }));
    await s.fails(EINVAL, core.encodeCqCreate, cqIn(1, { bufferVa: m.addr, bufferLength: 4096, bufferOffset: 0 }));
    const { handle: dmabuf } = await s.call(core.encodeDmabufAlloc, { pgoff: 0 }, core.decodeDmabufAllocOut);
    await s.call(core.encodeCqCreate, cqIn(63, { bufferFd: dmabuf, bufferOffset: 0, bufferLength: 4096 }), core.decodeCqCreateOut);
    await s.fails(EINVAL, core.encodeCqCreate, cqIn(1, { bufferFd: dmabuf, bufferOffset: 4096, bufferLength: 64 }));
    await s.fails(EINVAL, core.encodeCqCreate, cqIn(1, { bufferFd: s.fd, bufferOffset: 0, bufferLength: 64 }));
    await s.fails(EBADF, core.encodeCqCreate, cqIn(1, { bufferFd: 77, bufferOffset: 0, bufferLength: 64 }));
    const VA = core.IB_UVERBS_BUFFER_TYPE.IB_UVERBS_BUFFER_TYPE_VA;
    await s.call(core.encodeCqCreate, cqIn(1, { bufUmem: { type: VA, addr: m.addr, length: 4096 } }), core.decodeCqCreateOut);
    await s.fails(EINVAL, core.encodeCqCreate, cqIn(1, { bufUmem: { type: VA, addr: m.addr, length: 4096, flags: 1 } }));
    await s.fails(EINVAL, core.encodeCqCreate, cqIn(1, { bufUmem: { type: 7 } }));
  });
});

describe('emulated core device: QP limits', () => {
  it('hands out unique QP numbers from 0x100, without reusing a freed one at once', async () => {
    const s = await Session.open();
    const { pdh, c } = await setup(s);
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await s.call(core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_RC, { maxSendWr: 1 }), core.decodeQpCreateOut));
    expect(made.map((q) => q.respQpNum)).toEqual([0x100, 0x101, 0x102]);
    await s.call(core.encodeQpDestroy, { handle: made[0]!.handle }, core.decodeQpDestroyOut);
    expect((await s.call(core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_RC, {}), core.decodeQpCreateOut)).respQpNum).toBe(0x103);
  });

  it('grants what it can and refuses what exceeds max_qp_wr, max_sge and max_inline', async () => {
    const s = await Session.open();
    const { pdh, c } = await setup(s);
    const grant = async (type: number, cap: core.IbUverbsQpCapInit) => (await s.call(core.encodeQpCreate, qpIn(pdh, c, type, cap), core.decodeQpCreateOut)).respCap;
    // UD: a 64-byte header; 1 SGE fits one 128-byte WQE with 60 bytes to spare for inline data.
    expect(await grant(QPT.IB_UVERBS_QPT_UD, { maxSendWr: 3, maxRecvWr: 1000, maxSendSge: 1, maxRecvSge: 1 })).toEqual({ maxSendWr: 4, maxRecvWr: 1024, maxSendSge: 4, maxRecvSge: 1, maxInlineData: 60 });
    expect(await grant(QPT.IB_UVERBS_QPT_RC, { maxSendWr: 1 << 15, maxRecvWr: 1, maxSendSge: 30, maxRecvSge: 30 })).toMatchObject({ maxSendWr: 1 << 15, maxSendSge: 30, maxRecvSge: 32 });
    await s.fails(EINVAL, core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_RC, { maxSendWr: (1 << 15) + 1 }));
    await s.fails(EINVAL, core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_RC, { maxRecvSge: 31 }));
    await s.fails(EINVAL, core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_RC, { maxInlineData: 513 }));
    const srq = await s.call(core.encodeSrqCreate, { pdHandle: pdh, userHandle: 0n, maxWr: 4, maxSge: 1, limit: 0, type: SRQT.IB_UVERBS_SRQT_BASIC }, core.decodeSrqCreateOut);
    expect(await s.call(core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_RC, { maxSendWr: 1, maxRecvWr: 8, maxRecvSge: 2 }, { srqHandle: srq.handle }), core.decodeQpCreateOut))
      .toMatchObject({ respCap: { maxRecvWr: 0, maxRecvSge: 0 } }); // receives come from the SRQ
  });

  it('checks types and the handles each type takes', async () => {
    const s = await Session.open();
    const { pdh, c } = await setup(s);
    const none = {};
    await s.fails(EINVAL, core.encodeQpCreate, qpIn(pdh, c, 5, none));
    await s.fails(EOPNOTSUPP, core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_DRIVER, none));
    await s.fails(ENOENT, core.encodeQpCreate, { sendCqHandle: c, recvCqHandle: c, userHandle: 0n, cap: none, type: QPT.IB_UVERBS_QPT_RC });
    await s.fails(ENOENT, core.encodeQpCreate, { pdHandle: pdh, sendCqHandle: c, userHandle: 0n, cap: none, type: QPT.IB_UVERBS_QPT_RC });
    const xrcd = s.create('XRCD', newXrcd(s.state));
    await s.fails(EINVAL, core.encodeQpCreate, { xrcdHandle: xrcd, pdHandle: pdh, userHandle: 0n, cap: none, type: QPT.IB_UVERBS_QPT_XRC_TGT });
    await s.fails(EINVAL, core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_RC, none, { xrcdHandle: xrcd }));
    const srq = await s.call(core.encodeSrqCreate, { pdHandle: pdh, userHandle: 0n, maxWr: 4, maxSge: 1, limit: 0, type: SRQT.IB_UVERBS_SRQT_BASIC }, core.decodeSrqCreateOut);
    await s.fails(EINVAL, core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_XRC_INI, none, { recvCqHandle: undefined, srqHandle: srq.handle }));
    await s.fails(EINVAL, core.encodeQpCreate, { xrcdHandle: xrcd, srqHandle: srq.handle, userHandle: 0n, cap: none, type: QPT.IB_UVERBS_QPT_XRC_TGT });
    const ini = await s.call(core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_XRC_INI, { maxSendWr: 2, maxRecvWr: 2 }, { recvCqHandle: undefined }), core.decodeQpCreateOut);
    expect(ini.respCap).toMatchObject({ maxSendWr: 2, maxRecvWr: 0 });

    const w = await s.call(core.encodeWqCreate, { pdHandle: pdh, cqHandle: c, userHandle: 0n, type: 0, maxWr: 4, maxSge: 1, flags: 0 }, core.decodeWqCreateOut);
    const tbl = s.create('RWQ_IND_TBL', newRwqIndTbl(s.state, [s.record<Wq>(w.handle)]));
    await s.fails(EINVAL, core.encodeQpCreate, { pdHandle: pdh, indTableHandle: tbl, userHandle: 0n, cap: { maxRecvWr: 1 }, type: QPT.IB_UVERBS_QPT_RAW_PACKET });
    await s.fails(ENOENT, core.encodeQpCreate, { pdHandle: pdh, indTableHandle: tbl, userHandle: 0n, cap: { maxSendWr: 1 }, type: QPT.IB_UVERBS_QPT_RAW_PACKET });
  });

  it('allows create flags per type, source QPNs on UD, RAW_PACKET only with CAP_NET_RAW', async () => {
    const s = await Session.open();
    const { pdh, c } = await setup(s);
    const cap = { maxSendWr: 1 };
    await s.call(core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_RC, cap, { flags: QPF.IB_UVERBS_QP_CREATE_SQ_SIG_ALL }), core.decodeQpCreateOut);
    await s.fails(EINVAL, core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_RC, cap, { flags: QPF.IB_UVERBS_QP_CREATE_BLOCK_MULTICAST_LOOPBACK }));
    await s.call(core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_UD, cap, { flags: QPF.IB_UVERBS_QP_CREATE_BLOCK_MULTICAST_LOOPBACK }), core.decodeQpCreateOut);
    await s.fails(EINVAL, core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_UD, cap, { flags: QPF.IB_UVERBS_QP_CREATE_SCATTER_FCS }));
    await s.call(core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_RAW_PACKET, cap, { flags: QPF.IB_UVERBS_QP_CREATE_SCATTER_FCS }), core.decodeQpCreateOut);
    await s.fails(EINVAL, core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_UD, cap, { flags: 1 })); // not an ib_uverbs_qp_create_flags bit
    await s.fails(EINVAL, core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_RC, cap, { sourceQpn: 0x200 }));
    const ud = await s.call(core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_UD, cap, { sourceQpn: 0x200 }), core.decodeQpCreateOut);
    expect(s.record<Qp>(ud.handle).sourceQpn).toBe(0x200);
    s.state.mayUseRawPacket = () => false;
    await s.fails(EPERM, core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_RAW_PACKET, cap));
  });

  it('QP_ATTACH_COMP_CNTR: EINVAL for no operation, EOPNOTSUPP for one the device cannot count, EBUSY for one already counted', async () => {
    const s = await Session.open();
    const { pdh, c } = await setup(s);
    const q = await s.call(core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_RC, { maxSendWr: 1 }), core.decodeQpCreateOut);
    const { handle: cntr } = await s.call(core.encodeCompCntrCreate, {}, core.decodeCompCntrCreateOut);
    await s.fails(EINVAL, core.encodeQpAttachCompCntr, { handle: q.handle, cntrHandle: cntr, opMask: 0 });
    await s.fails(EINVAL, core.encodeQpAttachCompCntr, { handle: q.handle, cntrHandle: cntr, opMask: 0x40 });
    await s.fails(EOPNOTSUPP, core.encodeQpAttachCompCntr, { handle: q.handle, cntrHandle: cntr, opMask: 8 });
    await s.call(core.encodeQpAttachCompCntr, { handle: q.handle, cntrHandle: cntr, opMask: 3 }, core.decodeQpAttachCompCntrOut);
    await s.fails(EBUSY, core.encodeQpAttachCompCntr, { handle: q.handle, cntrHandle: cntr, opMask: 2 });
    await s.call(core.encodeQpAttachCompCntr, { handle: q.handle, cntrHandle: cntr, opMask: 4 }, core.decodeQpAttachCompCntrOut);
  });
});

describe('emulated core device: SRQ and WQ limits', () => {
  it('SRQ: rounding, limits, the handles each type needs', async () => {
    const s = await Session.open();
    const { pdh, c } = await setup(s);
    const srq = (x: Partial<core.SrqCreateIn>): core.SrqCreateIn => ({ pdHandle: pdh, userHandle: 0n, maxWr: 4, maxSge: 1, limit: 0, type: SRQT.IB_UVERBS_SRQT_BASIC, ...x });
    const got = await s.call(core.encodeSrqCreate, srq({ maxWr: 32767, maxSge: 31 }), core.decodeSrqCreateOut);
    expect(got).toMatchObject({ respMaxWr: 32767, respMaxSge: 31 });
    expect(await s.call(core.encodeSrqCreate, srq({ maxWr: 1, maxSge: 0 }), core.decodeSrqCreateOut)).toMatchObject({ respMaxWr: 1, respMaxSge: 1 });
    await s.fails(EINVAL, core.encodeSrqCreate, srq({ maxWr: 0 }));
    await s.fails(EINVAL, core.encodeSrqCreate, srq({ maxWr: 32768 }));
    await s.fails(EINVAL, core.encodeSrqCreate, srq({ maxSge: 32 }));
    await s.fails(EINVAL, core.encodeSrqCreate, srq({ maxWr: 4, limit: 8 })); // 7 granted
    await s.fails(EINVAL, core.encodeSrqCreate, srq({ type: 3 }));
    await s.fails(ENOENT, core.encodeSrqCreate, srq({ type: SRQT.IB_UVERBS_SRQT_XRC, cqHandle: c }));
    await s.fails(ENOENT, core.encodeSrqCreate, srq({ type: SRQT.IB_UVERBS_SRQT_TM }));
    await s.fails(ENOENT, core.encodeSrqCreate, srq({ type: SRQT.IB_UVERBS_SRQT_TM, cqHandle: c }));
    await s.fails(EINVAL, core.encodeSrqCreate, srq({ type: SRQT.IB_UVERBS_SRQT_TM, cqHandle: c, maxNumTags: 65 }));
    await s.call(core.encodeSrqCreate, srq({ type: SRQT.IB_UVERBS_SRQT_TM, cqHandle: c, maxNumTags: 64 }), core.decodeSrqCreateOut);
    const t = await Session.open({ srqTypes: [SRQT.IB_UVERBS_SRQT_BASIC] });
    const pd2 = t.create('PD', newPd(t.state));
    const c2 = (await t.call(core.encodeCqCreate, cqIn(1), core.decodeCqCreateOut)).handle;
    await t.fails(EOPNOTSUPP, core.encodeSrqCreate, { ...srq({ type: SRQT.IB_UVERBS_SRQT_TM, maxNumTags: 1 }), pdHandle: pd2, cqHandle: c2 });
  });

  it('WQ: powers of two, flags the device has, only RQs, a CQ needed', async () => {
    const s = await Session.open();
    const { pdh, c } = await setup(s);
    const F = core.IB_UVERBS_WQ_FLAGS;
    const wq = (x: Partial<core.WqCreateIn>): core.WqCreateIn => ({ pdHandle: pdh, cqHandle: c, userHandle: 0n, type: 0, maxWr: 5, maxSge: 3, flags: 0, ...x });
    expect(await s.call(core.encodeWqCreate, wq({}), core.decodeWqCreateOut)).toMatchObject({ respMaxWr: 8, respMaxSge: 4 });
    await s.call(core.encodeWqCreate, wq({ flags: F.IB_UVERBS_WQ_FLAGS_CVLAN_STRIPPING | F.IB_UVERBS_WQ_FLAGS_SCATTER_FCS }), core.decodeWqCreateOut);
    await s.fails(EOPNOTSUPP, core.encodeWqCreate, wq({ flags: F.IB_UVERBS_WQ_FLAGS_DELAY_DROP }));
    await s.fails(EINVAL, core.encodeWqCreate, wq({ flags: 0x10 }));
    await s.fails(EINVAL, core.encodeWqCreate, wq({ type: 1 }));
    await s.fails(EINVAL, core.encodeWqCreate, wq({ maxWr: 0 }));
    await s.fails(EINVAL, core.encodeWqCreate, wq({ maxSge: 31 }));
    await s.fails(ENOENT, core.encodeWqCreate, { pdHandle: pdh, userHandle: 0n, type: 0, maxWr: 5, maxSge: 3, flags: 0 });
  });
});

describe('emulated core device: memory', () => {
  it('REG_MR: access rules, page offsets, addr or fd, pinned memory', async () => {
    const s = await Session.open();
    const { pdh } = await setup(s);
    const m = s.map(8192);
    const reg = (x: { [K in keyof core.RegMrIn]?: core.RegMrIn[K] | undefined }): core.RegMrIn =>
      input({ pdHandle: pdh, addr: m.addr, iova: m.addr, length: 4096, accessFlags: ACC.IB_UVERBS_ACCESS_LOCAL_WRITE } as core.RegMrIn, x);
    await s.fails(EINVAL, core.encodeRegMr, reg({ accessFlags: ACC.IB_UVERBS_ACCESS_REMOTE_WRITE }));
    await s.fails(EOPNOTSUPP, core.encodeRegMr, reg({ accessFlags: ACC.IB_UVERBS_ACCESS_FLUSH_GLOBAL }));
    await s.fails(EINVAL, core.encodeRegMr, reg({ accessFlags: 1 << 30 }));
    await s.fails(EINVAL, core.encodeRegMr, reg({ iova: m.addr + 8 }));
    await s.fails(EINVAL, core.encodeRegMr, reg({ addr: undefined }));
    await s.fails(EINVAL, core.encodeRegMr, reg({ fdOffset: 0 }));
    await s.fails(EFAULT, core.encodeRegMr, reg({ length: 16384 })); // runs past the mapping
    await s.fails(EINVAL, core.encodeRegMr, reg({ length: 0 }));
    await s.fails(EINVAL, core.encodeRegMr, reg({ addr: 0, iova: 0, length: (1n << 40n) + 1n, accessFlags: ACC.IB_UVERBS_ACCESS_ON_DEMAND }));
    const { handle: dmabuf } = await s.call(core.encodeDmabufAlloc, { pgoff: 0 }, core.decodeDmabufAllocOut);
    await s.fails(EINVAL, core.encodeRegMr, reg({ addr: undefined, fd: dmabuf }));
    await s.fails(EINVAL, core.encodeRegMr, reg({ fd: dmabuf, fdOffset: 0 }));
    await s.fails(EINVAL, core.encodeRegMr, reg({ addr: undefined, fd: dmabuf, fdOffset: 0, iova: 0, accessFlags: ACC.IB_UVERBS_ACCESS_MW_BIND }));
    await s.call(core.encodeRegMr, reg({ addr: undefined, fd: dmabuf, fdOffset: 0, iova: 0 }), core.decodeRegMrOut);
    // Optional access bits the device does not honour are dropped, RELAXED_ORDERING is kept.
    const opt = await s.call(core.encodeRegMr, reg({ accessFlags: 1 << 21 | ACC.IB_UVERBS_ACCESS_RELAXED_ORDERING }), core.decodeRegMrOut);
    expect(s.record<{ access: number }>(opt.handle).access).toBe(ACC.IB_UVERBS_ACCESS_RELAXED_ORDERING);

    const keys = new Set<number>();
    for (let i = 0; i < 50; i++) keys.add((await s.call(core.encodeRegMr, reg({}), core.decodeRegMrOut)).respLkey);
    expect(keys.size).toBe(50);
    expect(keys.has(0)).toBe(false);

    const t = await Session.open({ odp: false, dmabufMr: false });
    const pd2 = t.create('PD', newPd(t.state));
    const m2 = t.map(4096);
    await t.fails(EOPNOTSUPP, core.encodeRegMr, { pdHandle: pd2, addr: m2.addr, iova: m2.addr, length: 4096, accessFlags: ACC.IB_UVERBS_ACCESS_ON_DEMAND });
    await t.fails(EOPNOTSUPP, core.encodeRegMr, { pdHandle: pd2, fd: 3, fdOffset: 0, iova: 0, length: 4096, accessFlags: 0 });
    await t.fails(EOPNOTSUPP, core.encodeRegDmabufMr, { pdHandle: pd2, offset: 0, length: 4096, iova: 0, fd: 3 });
    await t.fails(EOPNOTSUPP, core.encodeAdviseMr, { pdHandle: pd2, advice: 0, flags: 0, sgeList: [{ addr: 0, length: 1, lkey: 1 }] });
  });

  it('ADVISE_MR: only on-demand MRs of the PD, inside their range', async () => {
    const s = await Session.open();
    const { pdh } = await setup(s);
    const other = s.create('PD', newPd(s.state));
    const m = s.map(4096);
    const pinned = await s.call(core.encodeRegMr, { pdHandle: pdh, addr: m.addr, iova: m.addr, length: 4096, accessFlags: ACC.IB_UVERBS_ACCESS_LOCAL_WRITE }, core.decodeRegMrOut);
    const odp = await s.call(core.encodeRegMr, { pdHandle: pdh, addr: 0x40_0000, iova: 0x40_0000, length: 0x10000, accessFlags: ACC.IB_UVERBS_ACCESS_ON_DEMAND }, core.decodeRegMrOut);
    const advise = (pd: number, lkey: number, addr: number, advice = 0) => ({ pdHandle: pd, advice, flags: 0, sgeList: [{ addr, length: 4096, lkey }] });
    await s.call(core.encodeAdviseMr, advise(pdh, odp.respLkey, 0x40_0000), core.decodeAdviseMrOut);
    await s.fails(ENOENT, core.encodeAdviseMr, advise(pdh, pinned.respLkey, m.addr));
    await s.fails(ENOENT, core.encodeAdviseMr, advise(other, odp.respLkey, 0x40_0000));
    await s.fails(ENOENT, core.encodeAdviseMr, advise(pdh, 0x12345678, 0x40_0000));
    await s.fails(ENOENT, core.encodeAdviseMr, advise(pdh, odp.respLkey, 0x40_0000, 1)); // a write prefetch of a read-only MR
    await s.fails(EFAULT, core.encodeAdviseMr, advise(pdh, odp.respLkey, 0x40_f000 + 8));
    await s.fails(EOPNOTSUPP, core.encodeAdviseMr, advise(pdh, odp.respLkey, 0x40_0000, 7));
  });

  it('DM: sizes, alignment, running out; DM_MR_REG inside the block with MEMIC access', async () => {
    const s = await Session.open({ dm: { size: 4096, granule: 64, maxAlignLog: 12 } });
    const { pdh } = await setup(s);
    await s.fails(EINVAL, core.encodeDmAlloc, { length: 0, alignment: 0 });
    await s.fails(EINVAL, core.encodeDmAlloc, { length: 4097, alignment: 0 });
    await s.fails(EINVAL, core.encodeDmAlloc, { length: 64, alignment: 13 });
    const a = await s.call(core.encodeDmAlloc, { length: 100, alignment: 0 }, core.decodeDmAllocOut);
    const b = await s.call(core.encodeDmAlloc, { length: 64, alignment: 10 }, core.decodeDmAllocOut);
    expect([s.record<{ start: number }>(a.handle).start, s.record<{ start: number }>(b.handle).start]).toEqual([0, 1024]);
    await s.fails(ENOMEM, core.encodeDmAlloc, { length: 3072, alignment: 0 });
    await s.call(core.encodeDmAlloc, { length: 2048, alignment: 11 }, core.decodeDmAllocOut);
    const ZB = ACC.IB_UVERBS_ACCESS_ZERO_BASED;
    const reg = (x: Partial<core.DmMrRegIn>): core.DmMrRegIn => ({ offset: 0, length: 100, pdHandle: pdh, accessFlags: ZB, dmHandle: a.handle, ...x });
    await s.fails(EINVAL, core.encodeDmMrReg, reg({ accessFlags: ACC.IB_UVERBS_ACCESS_LOCAL_WRITE }));
    await s.fails(EINVAL, core.encodeDmMrReg, reg({ offset: 50, length: 51 }));
    await s.fails(EINVAL, core.encodeDmMrReg, reg({ accessFlags: ZB | ACC.IB_UVERBS_ACCESS_MW_BIND }));
    await s.call(core.encodeDmMrReg, reg({ offset: 50, length: 50 }), core.decodeDmMrRegOut);
    const none = await Session.open({ dm: null });
    await none.fails(EOPNOTSUPP, core.encodeDmAlloc, { length: 64, alignment: 0 });
  });

  it('DMAH: EPERM for a CPU outside the set, EINVAL for PH bits, EOPNOTSUPP without TPH', async () => {
    const s = await Session.open();
    await s.fails(EPERM, core.encodeDmahAlloc, { cpuId: 8 });
    await s.fails(EINVAL, core.encodeDmahAlloc, { ph: 4 });
    await s.call(core.encodeDmahAlloc, { cpuId: 7, ph: 3 }, core.decodeDmahAllocOut);
    const none = await Session.open({ dmah: null });
    await none.fails(EOPNOTSUPP, core.encodeDmahAlloc, {});
  });

  it('DMABUF: only this context\'s mmap regions; none on a device without them', async () => {
    const s = await Session.open();
    await s.fails(EINVAL, core.encodeDmabufAlloc, { pgoff: 5 });
    const none = await Session.open({ uarPagesPerContext: 0 });
    await none.fails(EOPNOTSUPP, core.encodeDmabufAlloc, { pgoff: 0 });
  });
});

describe('emulated core device: counters and flow actions', () => {
  it('COMP_CNTR: a table of maxCounters, values wrap at maxValue + 1, bad entries and ops', async () => {
    const s = await Session.open({ compCntr: { maxCounters: 2, maxValue: 0xffffn, supportedOps: 3 } });
    const a = await s.call(core.encodeCompCntrCreate, {}, core.decodeCompCntrCreateOut);
    await s.call(core.encodeCompCntrCreate, {}, core.decodeCompCntrCreateOut);
    await s.fails(ENOMEM, core.encodeCompCntrCreate, {});
    const mod = (entry: number, op: number, value: bigint): core.CompCntrModifyIn => ({ handle: a.handle, entry, op, value });
    await s.fails(EINVAL, core.encodeCompCntrModify, mod(0, 0, 0x10000n));
    await s.call(core.encodeCompCntrModify, mod(1, 0, 0xfffen), core.decodeCompCntrModifyOut);
    await s.call(core.encodeCompCntrModify, mod(1, 1, 3n), core.decodeCompCntrModifyOut);
    expect((await s.call(core.encodeCompCntrRead, { handle: a.handle, entry: 1 }, core.decodeCompCntrReadOut)).respValue).toBe(1n);
    await s.fails(EINVAL, core.encodeCompCntrModify, mod(2, 0, 0n));
    await s.fails(EINVAL, core.encodeCompCntrModify, mod(0, 2, 0n));
    await s.fails(EINVAL, core.encodeCompCntrRead, { handle: a.handle, entry: 2 });
    const none = await Session.open({ compCntr: null });
    await none.fails(EOPNOTSUPP, core.encodeCompCntrCreate, {});
    await none.fails(EOPNOTSUPP, core.encodeQueryCompCntrCaps, {});
  });

  it('COUNTERS: cached reads, room for every counter, EOPNOTSUPP without flow counters', async () => {
    const s = await Session.open();
    const { pdh, c } = await setup(s);
    const q = await s.call(core.encodeQpCreate, qpIn(pdh, c, QPT.IB_UVERBS_QPT_UD, { maxSendWr: 1 }), core.decodeQpCreateOut);
    const { handle } = await s.call(core.encodeCountersCreate, {}, core.decodeCountersCreateOut);
    const flow = newFlow(s.state, s.record<Qp>(q.handle), { counters: { counters: s.record<Counters>(handle), description: ['packets', 'bytes'] } });
    s.create('FLOW', flow);
    expect(() => newFlow(s.state, s.record<Qp>(q.handle), { counters: { counters: s.record<Counters>(handle), description: ['packets'] } })).toThrow(/already bound/);
    flow.packets = 1n;
    expect((await s.call(core.encodeCountersRead, { handle, buff: 2 }, core.decodeCountersReadOut)).buff).toEqual([1n, 0n]);
    flow.packets = 5n;
    const PREFER_CACHED = core.IB_UVERBS_READ_COUNTERS_FLAGS.IB_UVERBS_READ_COUNTERS_PREFER_CACHED;
    expect((await s.call(core.encodeCountersRead, { handle, buff: 2, flags: PREFER_CACHED }, core.decodeCountersReadOut)).buff).toEqual([1n, 0n]);
    expect((await s.call(core.encodeCountersRead, { handle, buff: 2 }, core.decodeCountersReadOut)).buff).toEqual([5n, 0n]);
    await s.fails(EINVAL, core.encodeCountersRead, { handle, buff: 1 });
    await s.fails(EINVAL, core.encodeCountersRead, { handle, buff: 2, flags: 2 });
    const none = await Session.open({ flowCounters: false });
    await none.fails(EOPNOTSUPP, core.encodeCountersCreate, {});
  });

  it('ESP: the core\'s checks (EINVAL, EOPNOTSUPP) and the engine\'s', async () => {
    const s = await Session.open();
    const F = core.IB_UVERBS_FLOW_ACTION_ESP_FLAGS;
    const esp = (k: core.IbUverbsFlowActionEspKeymatAesGcmInit, x: Partial<core.FlowActionEspCreateIn> = {}): core.FlowActionEspCreateIn =>
      ({ attrs: { spi: 1 }, keymat: { elem: 'aes_gcm', value: { keyLen: 16, icvLen: 16, ...k } }, ...x });
    await s.fails(EINVAL, core.encodeFlowActionEspCreate, esp({ keyLen: 20 }));
    await s.fails(EINVAL, core.encodeFlowActionEspCreate, esp({ icvLen: 10 }));
    await s.fails(EOPNOTSUPP, core.encodeFlowActionEspCreate, esp({ ivAlgo: 1 }));
    await s.fails(EOPNOTSUPP, core.encodeFlowActionEspCreate, esp({ keyLen: 24 })); // AES-192: valid, not in this engine
    await s.fails(EOPNOTSUPP, core.encodeFlowActionEspCreate, esp({ icvLen: 8 }));
    await s.fails(EOPNOTSUPP, core.encodeFlowActionEspCreate, esp({}, { attrs: { flags: 0x10 } }));
    await s.fails(EOPNOTSUPP, core.encodeFlowActionEspCreate, esp({}, { attrs: { flags: F.IB_UVERBS_FLOW_ACTION_ESP_FLAGS_FULL_OFFLOAD } }));
    await s.fails(EINVAL, core.encodeFlowActionEspCreate, esp({}, { replay: { elem: 'none', value: new Uint8Array(0) } }));
    await s.fails(EOPNOTSUPP, core.encodeFlowActionEspCreate, esp({}, { replay: { elem: 'bmp', value: { size: 512 } } }));

    const m = s.map(4096);
    m.bytes.set([192, 168, 1, 1, 192, 168, 1, 2], 0); // src, dst of an ib_flow_ipv4_filter
    const encap = (x: core.IbUverbsFlowActionEspEncapInit) => esp({}, { encap: { valPtr: m.addr, len: 12, type: 0x30, ...x } });
    const { handle } = await s.call(core.encodeFlowActionEspCreate, encap({}), core.decodeFlowActionEspCreateOut);
    expect(s.record<{ esp: { encap: { filter: Uint8Array } } }>(handle).esp.encap.filter.subarray(0, 8)).toEqual(new Uint8Array([192, 168, 1, 1, 192, 168, 1, 2]));
    await s.call(core.encodeFlowActionEspCreate, encap({ len: 16 }), core.decodeFlowActionEspCreateOut); // zero tail accepted
    await s.fails(EOPNOTSUPP, core.encodeFlowActionEspCreate, encap({ nextPtr: m.addr }));
    await s.fails(EOPNOTSUPP, core.encodeFlowActionEspCreate, encap({ type: 0x20 }));
    await s.fails(EFAULT, core.encodeFlowActionEspCreate, encap({ valPtr: 0x1000 }));
    await s.fails(EINVAL, core.encodeFlowActionEspCreate, { ...encap({}), attrs: { flags: F.IB_UVERBS_FLOW_ACTION_ESP_FLAGS_TRANSPORT } });
    await s.fails(EOPNOTSUPP, core.encodeFlowActionEspModify, { handle, encap: { valPtr: m.addr, len: 12, type: 0x30 } });
    await s.fails(EOPNOTSUPP, core.encodeFlowActionEspModify, { handle, keymat: { elem: 'aes_gcm', value: { keyLen: 24, icvLen: 16 } } });
    await s.call(core.encodeFlowActionEspModify, { handle, keymat: { elem: 'aes_gcm', value: { keyLen: 32, icvLen: 16 } } }, core.decodeFlowActionEspModifyOut);

    const none = await Session.open({ esp: null });
    await none.fails(EOPNOTSUPP, core.encodeFlowActionEspCreate, esp({}));
  });
});

describe('emulated core device: write()-made records', () => {
  it('constructors check what the device checks', async () => {
    const s = await Session.open();
    const pd = newPd(s.state);
    expect(() => newAh(s.state, pd, { port: 2 })).toThrow(/needs a GRH/);
    expect(() => newAh(s.state, pd, { port: 3 })).toThrow(/ports 1..2/);
    expect(() => newAh(s.state, pd, { port: 2, grh: { dgid: new Uint8Array(16), sgidIndex: 9, flowLabel: 0, hopLimit: 1, trafficClass: 0 } })).toThrow(/empty/);
    expect(() => newMw(s.state, pd, 3)).toThrow(/type 3/);
    expect(() => newRwqIndTbl(s.state, [])).toThrow(/power of two/);
    expect(pd.usecnt).toBe(0);
    expect(newXrcd(s.state).xrcdn).toBeGreaterThan(0);
  });
});
