/**
 * References between objects: what holds what, EBUSY while held, and release on
 * destroy, close, device removal and a failed create, each object exactly once.
 */
import { describe, expect, it } from 'vitest';
import * as core from '../../generated/core/index.js';
import { RemoveReason, type RemoveReasonId } from '../../runtime/kernel/device.js';
import { EBUSY, EFAULT, EIO } from '../../runtime/abi/errno.js';
import { UserPtr } from '../../runtime/user/ioctl-buffer.js';
import type { UObject } from '../../runtime/kernel/uobject.js';
import {
  newAh, newCompChannel, newFlow, newMw, newPd, newRwqIndTbl, newXrcd, type AsyncEvent, type Counters, type Cq, type Pd, type Qp, type Wq,
} from '../../runtime/emulated/core/index.js';
import { Session, type Encoder } from './helpers.js';
import { objectAt } from '../../runtime/kernel/object-file.js';

const { IB_UVERBS_QP_TYPE: QPT, IB_UVERBS_SRQ_TYPE: SRQT, IB_UVERBS_ACCESS_FLAGS: ACC } = core;

/** Logs every release the device makes. */
function watch(s: Session): { type: string; id: number; reason: RemoveReasonId }[] {
  const log: { type: string; id: number; reason: RemoveReasonId }[] = [];
  s.state.onRelease = (u: UObject, reason) => log.push({ type: u.type.name, id: u.id, reason });
  return log;
}

async function cq(s: Session): Promise<number> {
  return (await s.call(core.encodeCqCreate, { cqe: 8, userHandle: 0n, compVector: 0 }, core.decodeCqCreateOut)).handle;
}

async function qp(s: Session, pdh: number, c: number, type: number = QPT.IB_UVERBS_QPT_RC, extra: Partial<core.QpCreateIn> = {}): Promise<number> {
  const input: core.QpCreateIn = { pdHandle: pdh, sendCqHandle: c, recvCqHandle: c, userHandle: 0n, cap: { maxSendWr: 4, maxRecvWr: 4, maxSendSge: 1, maxRecvSge: 1 }, type, ...extra };
  return (await s.call(core.encodeQpCreate, input, core.decodeQpCreateOut)).handle;
}

describe('emulated core device: references', () => {
  it('refuses to destroy a CQ while a QP uses it, and allows it once the QP is gone', async () => {
    const s = await Session.open();
    const pdh = s.create('PD', newPd(s.state));
    const send = await cq(s);
    const recv = await cq(s);
    const q = await qp(s, pdh, send, QPT.IB_UVERBS_QPT_RC, { recvCqHandle: recv });
    expect(s.record<Cq>(send).usecnt).toBe(1);
    await s.fails(EBUSY, core.encodeCqDestroy, { handle: send });
    await s.fails(EBUSY, core.encodeCqDestroy, { handle: recv });
    await s.fails(EBUSY, core.encodePdDestroy, { handle: pdh });
    expect(s.device.idr.get(send)?.object).toBe(s.record<Cq>(send)); // refused: nothing changed

    await s.call(core.encodeQpDestroy, { handle: q }, core.decodeQpDestroyOut);
    await s.call(core.encodeCqDestroy, { handle: send }, core.decodeCqDestroyOut);
    await s.call(core.encodeCqDestroy, { handle: recv }, core.decodeCqDestroyOut);
    await s.call(core.encodePdDestroy, { handle: pdh }, core.decodePdDestroyOut);
    expect(s.device.idr.size).toBe(0);
  });

  it('refuses to destroy a PD while an MR uses it', async () => {
    const s = await Session.open();
    const pd = newPd(s.state);
    const pdh = s.create('PD', pd);
    const m = s.map(4096);
    const mr = await s.call(core.encodeRegMr, { pdHandle: pdh, addr: m.addr, iova: m.addr, length: 4096, accessFlags: ACC.IB_UVERBS_ACCESS_LOCAL_WRITE }, core.decodeRegMrOut);
    expect(pd.usecnt).toBe(1);
    await s.fails(EBUSY, core.encodePdDestroy, { handle: pdh });
    await s.call(core.encodeMrDestroy, { handle: mr.handle }, core.decodeMrDestroyOut);
    expect(pd.usecnt).toBe(0);
    await s.call(core.encodePdDestroy, { handle: pdh }, core.decodePdDestroyOut);
  });

  it('keeps SRQs, XRCDs, WQs, tables, flow actions and QPs while something holds them', async () => {
    const s = await Session.open();
    const pd = newPd(s.state);
    const pdh = s.create('PD', pd);
    const c = await cq(s);
    const xrcd = s.create('XRCD', newXrcd(s.state));
    const xsrq = await s.call(core.encodeSrqCreate, { pdHandle: pdh, xrcdHandle: xrcd, cqHandle: c, userHandle: 0n, maxWr: 4, maxSge: 1, limit: 0, type: SRQT.IB_UVERBS_SRQT_XRC }, core.decodeSrqCreateOut);
    const tgt = await s.call(core.encodeQpCreate, { xrcdHandle: xrcd, srqHandle: xsrq.handle, userHandle: 0n, cap: {}, type: QPT.IB_UVERBS_QPT_XRC_TGT }, core.decodeQpCreateOut);
    expect(tgt.respCap).toEqual({ maxSendWr: 0, maxRecvWr: 0, maxSendSge: 0, maxRecvSge: 0, maxInlineData: 0 });
    await s.fails(EBUSY, core.encodeXrcdDestroy, { handle: xrcd });
    await s.fails(EBUSY, core.encodeSrqDestroy, { handle: xsrq.handle });

    const w = await s.call(core.encodeWqCreate, { pdHandle: pdh, cqHandle: c, userHandle: 0n, type: 0, maxWr: 4, maxSge: 1, flags: 0 }, core.decodeWqCreateOut);
    const tbl = s.create('RWQ_IND_TBL', newRwqIndTbl(s.state, [s.record<Wq>(w.handle)]));
    const rss = await s.call(core.encodeQpCreate, { pdHandle: pdh, indTableHandle: tbl, userHandle: 0n, cap: {}, type: QPT.IB_UVERBS_QPT_RAW_PACKET }, core.decodeQpCreateOut);
    await s.fails(EBUSY, core.encodeWqDestroy, { handle: w.handle });
    await s.fails(EBUSY, core.encodeRwqIndTblDestroy, { handle: tbl });

    const esp = await s.call(core.encodeFlowActionEspCreate, { attrs: { spi: 1 }, keymat: { elem: 'aes_gcm', value: { keyLen: 32, icvLen: 16 } } }, core.decodeFlowActionEspCreateOut);
    const flow = s.create('FLOW', newFlow(s.state, s.record<Qp>(rss.handle), { actions: [s.record(esp.handle)] }));
    await s.fails(EBUSY, core.encodeFlowActionDestroy, { handle: esp.handle });
    await s.fails(EBUSY, core.encodeQpDestroy, { handle: rss.handle });

    const holdersFirst: [Encoder<{ handle: number }>, number][] = [
      [core.encodeFlowDestroy, flow], [core.encodeFlowActionDestroy, esp.handle], [core.encodeQpDestroy, rss.handle], [core.encodeRwqIndTblDestroy, tbl],
      [core.encodeWqDestroy, w.handle], [core.encodeQpDestroy, tgt.handle], [core.encodeSrqDestroy, xsrq.handle], [core.encodeXrcdDestroy, xrcd],
      [core.encodeCqDestroy, c], [core.encodePdDestroy, pdh],
    ];
    for (const [encode, handle] of holdersFirst) expect(await s.send(encode, { handle })).toBe(0);
    expect(s.device.idr.size).toBe(0);
    expect(s.state.liveObjects().size).toBe(0);
  });

  it('close releases every object once, holders first, and the device is empty again', async () => {
    const s = await Session.open();
    const log = watch(s);
    const { fdHandle: events } = await s.call(core.encodeAsyncEventAlloc, {}, core.decodeAsyncEventAllocOut);
    const channel = s.create('COMP_CHANNEL', newCompChannel(s.state));
    const pd: Pd = newPd(s.state);
    const pdh = s.create('PD', pd);
    const c = (await s.call(core.encodeCqCreate, { cqe: 8, userHandle: 0n, compVector: 1, compChannel: channel }, core.decodeCqCreateOut)).handle;
    const srq = await s.call(core.encodeSrqCreate, { pdHandle: pdh, userHandle: 0n, maxWr: 4, maxSge: 1, limit: 0, type: SRQT.IB_UVERBS_SRQT_BASIC }, core.decodeSrqCreateOut);
    const q = await qp(s, pdh, c, QPT.IB_UVERBS_QPT_UD, { srqHandle: srq.handle });
    const w = await s.call(core.encodeWqCreate, { pdHandle: pdh, cqHandle: c, userHandle: 0n, type: 0, maxWr: 4, maxSge: 1, flags: 0 }, core.decodeWqCreateOut);
    s.create('RWQ_IND_TBL', newRwqIndTbl(s.state, [s.record<Wq>(w.handle), s.record<Wq>(w.handle)]));
    s.create('AH', newAh(s.state, pd, { port: 2, grh: { dgid: new Uint8Array(16), sgidIndex: 1, flowLabel: 0, hopLimit: 64, trafficClass: 0 } }));
    s.create('MW', newMw(s.state, pd, 1));
    s.create('XRCD', newXrcd(s.state));
    const counters = await s.call(core.encodeCountersCreate, {}, core.decodeCountersCreateOut);
    s.create('FLOW', newFlow(s.state, s.record<Qp>(q), { counters: { counters: s.record<Counters>(counters.handle), description: ['packets'] } }));
    const { handle: dm } = await s.call(core.encodeDmAlloc, { length: 64, alignment: 0 }, core.decodeDmAllocOut);
    await s.call(core.encodeDmMrReg, { offset: 0, length: 64, pdHandle: pdh, accessFlags: ACC.IB_UVERBS_ACCESS_ZERO_BASED, dmHandle: dm }, core.decodeDmMrRegOut);
    const { handle: dmah } = await s.call(core.encodeDmahAlloc, {}, core.decodeDmahAllocOut);
    const m = s.map(4096);
    await s.call(core.encodeRegMr, { pdHandle: pdh, dmaHandle: dmah, addr: m.addr, iova: m.addr, length: 4096, accessFlags: 0 }, core.decodeRegMrOut);
    const { handle: dmabuf } = await s.call(core.encodeDmabufAlloc, { pgoff: 0 }, core.decodeDmabufAllocOut);
    const { handle: cntr } = await s.call(core.encodeCompCntrCreate, {}, core.decodeCompCntrCreateOut);
    await s.call(core.encodeQpAttachCompCntr, { handle: q, cntrHandle: cntr, opMask: 1 }, core.decodeQpAttachCompCntrOut);
    await s.call(core.encodeFlowActionEspCreate, { attrs: {}, keymat: { elem: 'aes_gcm', value: { keyLen: 16, icvLen: 16 } } }, core.decodeFlowActionEspCreateOut);

    const file = s.file;
    const objects = [...file.objects].map((u) => `${u.type.name}:${u.id}`).sort();
    expect(new Set(objects.map((o) => o.split(':')[0])).size).toBe(19); // every object type
    expect(s.state.liveObjects().size).toBe(19);

    expect(await s.process.close(s.fd)).toBe(0);
    expect(log.map((r) => `${r.type}:${r.id}`).sort()).toEqual(objects); // each exactly once
    expect(log.every((r) => r.reason === RemoveReason.CLOSE)).toBe(true);
    const order = s.device.uapi.releaseOrder.map((id) => s.device.type(id)!.name);
    const ranks = log.map((r) => order.indexOf(r.type));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(s.device.idr.size).toBe(0);
    expect(s.state.liveObjects().size).toBe(0);
    expect(s.state.qpns.inUse + s.state.srqns.inUse + s.state.wqns.inUse + s.state.keyIndexes.inUse + s.state.cqns.inUse + s.state.pdns.inUse).toBe(0);
    expect(s.state.dm!.used).toBe(0);
    expect(objectAt(s.process, events)).toBeUndefined();
    expect(objectAt(s.process, dmabuf)).toBeUndefined();
  });

  it('closing a completion channel fd under a CQ is allowed; the CQ keeps its record', async () => {
    const s = await Session.open();
    const log = watch(s);
    const channel = s.create('COMP_CHANNEL', newCompChannel(s.state));
    const c = (await s.call(core.encodeCqCreate, { cqe: 8, userHandle: 0n, compVector: 0, compChannel: channel }, core.decodeCqCreateOut)).handle;
    expect(await s.process.close(channel)).toBe(0);
    expect(log).toEqual([{ type: 'COMP_CHANNEL', id: channel, reason: RemoveReason.CLOSE }]);
    expect(s.record<Cq>(c).channel?.closed).toBe(true);
    await s.call(core.encodeCqDestroy, { handle: c }, core.decodeCqDestroyOut);
  });

  it('device removal releases everything once, queues DEVICE_FATAL, and destroy still works', async () => {
    const s = await Session.open();
    const log = watch(s);
    const { fdHandle } = await s.call(core.encodeAsyncEventAlloc, {}, core.decodeAsyncEventAllocOut);
    const events = objectAt(s.process, fdHandle)!.object as AsyncEvent;
    const pdh = s.create('PD', newPd(s.state));
    const c = await cq(s);
    await qp(s, pdh, c);
    await s.device.remove();
    expect(log.map((r) => r.type)).toEqual(['QP', 'CQ', 'PD', 'ASYNC_EVENT']);
    expect(log.every((r) => r.reason === RemoveReason.DRIVER_REMOVE)).toBe(true);
    expect(events.events).toEqual([{ element: 0n, eventType: 8 }]);
    expect(s.state.liveObjects().size).toBe(0);

    await s.fails(EIO, core.encodeQueryPort, { portNum: 1 });
    await s.call(core.encodeCqDestroy, { handle: c }, core.decodeCqDestroyOut); // the handle stays until destroyed
    expect(await s.process.close(s.fd)).toBe(0);
    expect(log.length).toBe(4);
    expect(s.device.idr.size).toBe(0);
  });

  it('a create that fails after the device made the object releases it (ABORT) and drops its references', async () => {
    const s = await Session.open();
    const log = watch(s);
    const pdh = s.create('PD', newPd(s.state));
    const c = await cq(s);
    // resp_qp_num points at unmapped memory: the QP is made, then the copy-out faults.
    await s.fails(EFAULT, core.encodeQpCreate, {
      pdHandle: pdh, sendCqHandle: c, recvCqHandle: c, userHandle: 0n, cap: { maxSendWr: 1 }, type: QPT.IB_UVERBS_QPT_RC, respQpNum: new UserPtr(0x1000, 4),
    });
    expect(log).toEqual([{ type: 'QP', id: expect.any(Number), reason: RemoveReason.ABORT }]);
    expect(s.record<Cq>(c).usecnt).toBe(0);
    expect(s.state.qpns.inUse).toBe(0);
    expect(s.state.count('QP')).toBe(0);
    await s.call(core.encodeCqDestroy, { handle: c }, core.decodeCqDestroyOut);
  });
});
