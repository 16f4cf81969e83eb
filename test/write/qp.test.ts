/**
 * write() commands that create and destroy QPs: CREATE_QP, EX_CREATE_QP, OPEN_QP,
 * DESTROY_QP.
 */
import { describe, expect, it } from 'vitest';
import { IB_UVERBS_QP_CREATE_FLAGS, IB_UVERBS_QP_TYPE as QPT, IB_UVERBS_SRQ_TYPE } from '../../generated/core/enums.js';
import {
  decodeIbUverbsCreateQpResp, decodeIbUverbsDestroyQpResp, decodeIbUverbsExCreateQpResp, encodeIbUverbsExCreateQp, encodeIbUverbsOpenQp,
  IB_UVERBS_CREATE_QP_RESP_SIZE, IB_UVERBS_EX_CREATE_QP_SIZE, IB_UVERBS_OPEN_QP_SIZE, type IbUverbsExCreateQpInit,
} from '../../generated/core/structs.js';
import { EBUSY, EFAULT, EINVAL, ENOENT, EOPNOTSUPP, EPERM } from '../../runtime/abi/errno.js';
import { Inode } from '../../runtime/process/file.js';
import { coreState, grantQpCap, isSharedQp, type Context, type Cq, type Pd, type Qp, type RwqIndTbl, type Srq, type Xrcd } from '../../runtime/emulated/core/index.js';
import { IB_QP_CREATE } from '../../runtime/emulated/core/write/qp.js';
import { O_CREAT } from '../../runtime/emulated/core/write/xrcd.js';
import { cq, handleReq, indTbl, pd, qp, qpReq, srq, wq, xrcd } from './objects.js';
import { struct, WriteRig } from './rig.js';

const exQp = (x: IbUverbsExCreateQpInit) =>
  struct(IB_UVERBS_EX_CREATE_QP_SIZE, encodeIbUverbsExCreateQp, { qpType: QPT.IB_UVERBS_QPT_UD, maxSendWr: 8, maxRecvWr: 8, maxSendSge: 1, maxRecvSge: 1, ...x });
const openQp = (pdHandle: number, qpn: number, qpType: number = QPT.IB_UVERBS_QPT_XRC_TGT) =>
  ({ req: struct(IB_UVERBS_OPEN_QP_SIZE, encodeIbUverbsOpenQp, { pdHandle, qpn, qpType, userHandle: 0x99n }) });
const destroy = (h: number) => ({ req: handleReq(16, 8, h) });

async function pdCq(r: WriteRig): Promise<{ p: number; c: number }> {
  return { p: await pd(r), c: await cq(r) };
}

describe('CREATE_QP', () => {
  it('an RC QP: the number, the capabilities the device granted, its PD and CQs held', async () => {
    const r = await WriteRig.open();
    const { p, c } = await pdCq(r);
    const c2 = await cq(r);
    const req = { maxSendWr: 10, maxRecvWr: 20, maxSendSge: 3, maxRecvSge: 2, maxInlineData: 60 };
    const resp = await qp(r, { pdHandle: p, sendCqHandle: c, recvCqHandle: c2, userHandle: 0x77n, sqSigAll: 1, ...req });
    const s = coreState(r.device);
    const granted = grantQpCap(s, QPT.IB_UVERBS_QPT_RC, req, true, true);
    expect(resp).toMatchObject({ qpn: r.record<Qp>(resp.qpHandle).qpn, ...granted });
    expect(resp.qpn).toBeGreaterThanOrEqual(s.caps.firstQpn);
    const x = r.record<Qp>(resp.qpHandle);
    expect([x.pd, x.sendCq, x.recvCq]).toEqual([r.record<Pd>(p), r.record<Cq>(c), r.record<Cq>(c2)]);
    expect(x.createFlags & IB_UVERBS_QP_CREATE_FLAGS.IB_UVERBS_QP_CREATE_SQ_SIG_ALL).not.toBe(0);
    expect(x.eventFile).toBe((r.session.file.context as Context).defaultAsyncEvent);
    expect(r.device.idr.get(resp.qpHandle)!.userHandle).toBe(0x77n);
    expect([r.record<Pd>(p).usecnt, r.record<Cq>(c).usecnt, r.record<Cq>(c2).usecnt]).toEqual([1, 1, 1]);
  });

  it('one CQ for both queues is looked up once and held twice', async () => {
    const r = await WriteRig.open();
    const { p, c } = await pdCq(r);
    const resp = await qp(r, { pdHandle: p, sendCqHandle: c, recvCqHandle: c });
    expect(r.record<Qp>(resp.qpHandle).recvCq).toBe(r.record<Cq>(c));
    expect(r.record<Cq>(c).usecnt).toBe(2);
  });

  it('an unknown type answers EINVAL, RAW_PACKET without CAP_NET_RAW EPERM, a type the device lacks EOPNOTSUPP', async () => {
    const r = await WriteRig.open({ caps: { qpTypes: [QPT.IB_UVERBS_QPT_RC] } });
    const { p, c } = await pdCq(r);
    await r.fails(EINVAL, 'CREATE_QP', { req: qpReq({ pdHandle: p, sendCqHandle: c, recvCqHandle: c, qpType: 99 }) });
    coreState(r.device).mayUseRawPacket = () => false;
    await r.fails(EPERM, 'CREATE_QP', { req: qpReq({ pdHandle: p, sendCqHandle: c, recvCqHandle: c, qpType: QPT.IB_UVERBS_QPT_RAW_PACKET }) });
    await r.fails(EOPNOTSUPP, 'CREATE_QP', { req: qpReq({ pdHandle: p, sendCqHandle: c, recvCqHandle: c, qpType: QPT.IB_UVERBS_QPT_UD }) });
  });

  it('a bad PD, send CQ, receive CQ or SRQ answers EINVAL and leaves nothing held', async () => {
    const r = await WriteRig.open();
    const { p, c } = await pdCq(r);
    const base = { pdHandle: p, sendCqHandle: c, recvCqHandle: c };
    for (const bad of [{ pdHandle: c }, { sendCqHandle: p, recvCqHandle: p }, { recvCqHandle: 500 }, { isSrq: 1, srqHandle: 500 }]) {
      await r.fails(EINVAL, 'CREATE_QP', { req: qpReq({ ...base, ...bad }) });
    }
    expect([coreState(r.device).count('QP'), r.record<Pd>(p).usecnt, r.record<Cq>(c).usecnt]).toEqual([0, 0, 0]);
    const bare = await WriteRig.open({ context: false });
    await bare.fails(EINVAL, 'CREATE_QP', { req: qpReq(base) });
  });

  it('capabilities beyond the device answer EINVAL; a faulting response undoes the QP', async () => {
    const r = await WriteRig.open();
    const { p, c } = await pdCq(r);
    await r.fails(EINVAL, 'CREATE_QP', { req: qpReq({ pdHandle: p, sendCqHandle: c, recvCqHandle: c, maxSendWr: 1 << 16 }) });
    await r.fails(EFAULT, 'CREATE_QP', { req: qpReq({ pdHandle: p, sendCqHandle: c, recvCqHandle: c }), response: 0x7000 });
    expect([coreState(r.device).count('QP'), r.record<Cq>(c).usecnt]).toEqual([0, 0]);
    expect(coreState(r.device).qpns.inUse).toBe(0);
  });

  it('with an SRQ: the QP holds it; an XRC SRQ answers EINVAL', async () => {
    const r = await WriteRig.open();
    const { p, c } = await pdCq(r);
    const s = await srq(r, { pdHandle: p });
    const resp = await qp(r, { pdHandle: p, sendCqHandle: c, recvCqHandle: c, isSrq: 1, srqHandle: s.srqHandle, maxRecvWr: 0, maxRecvSge: 0 });
    expect(r.record<Qp>(resp.qpHandle).srq).toBe(r.record<Srq>(s.srqHandle));
    expect(r.record<Qp>(resp.qpHandle).cap.maxRecvWr).toBe(0);
    const x = await xrcd(r);
    const xs = await srq(r, { pdHandle: p, srqType: IB_UVERBS_SRQ_TYPE.IB_UVERBS_SRQT_XRC, xrcdHandle: x, cqHandle: c });
    await r.fails(EINVAL, 'CREATE_QP', { req: qpReq({ pdHandle: p, sendCqHandle: c, recvCqHandle: c, isSrq: 1, srqHandle: xs.srqHandle }) });
  });

  it('XRC_INI has no receive side (its receive CQ is not looked at); XRC_TGT takes its XRCD through pd_handle', async () => {
    const r = await WriteRig.open();
    const { p, c } = await pdCq(r);
    const ini = await qp(r, { pdHandle: p, sendCqHandle: c, recvCqHandle: 700, qpType: QPT.IB_UVERBS_QPT_XRC_INI });
    expect([ini.maxRecvWr, ini.maxRecvSge, r.record<Qp>(ini.qpHandle).recvCq]).toEqual([0, 0, undefined]);
    const x = await xrcd(r);
    await r.fails(EINVAL, 'CREATE_QP', { req: qpReq({ pdHandle: p, qpType: QPT.IB_UVERBS_QPT_XRC_TGT }) });
    const tgt = await qp(r, { pdHandle: x, sendCqHandle: 700, recvCqHandle: 701, qpType: QPT.IB_UVERBS_QPT_XRC_TGT });
    expect(r.record<Qp>(tgt.qpHandle)).toMatchObject({ xrcd: r.record<Xrcd>(x), pd: undefined, sendCq: undefined });
    await r.fails(EBUSY, 'CLOSE_XRCD', { req: handleReq(4, 0, x) });
  });
});

describe('EX_CREATE_QP', () => {
  it('comp_mask beyond the indirection table bit or reserved non-zero answers EINVAL', async () => {
    const r = await WriteRig.open();
    const { p, c } = await pdCq(r);
    await r.fails(EINVAL, 'EX_CREATE_QP', { req: exQp({ pdHandle: p, sendCqHandle: c, recvCqHandle: c, compMask: 2 }) });
    await r.fails(EINVAL, 'EX_CREATE_QP', { req: exQp({ pdHandle: p, sendCqHandle: c, recvCqHandle: c, reserved: 1 }) });
  });

  it('answers the extended response; a request that stops after comp_mask reads the rest as zero', async () => {
    const r = await WriteRig.open();
    const { p, c } = await pdCq(r);
    const resp = await r.call('EX_CREATE_QP', { req: exQp({ pdHandle: p, sendCqHandle: c, recvCqHandle: c }).subarray(0, 56) }, decodeIbUverbsExCreateQpResp);
    expect(resp.responseLength).toBe(40);
    expect(resp.base.qpn).toBe(r.record<Qp>(resp.base.qpHandle).qpn);
    // CREATE_QP answers only its 32 bytes.
    r.ok(await r.write('CREATE_QP', { req: qpReq({ pdHandle: p, sendCqHandle: c, recvCqHandle: c }), driverOutRoom: 8 }));
    expect(r.respMap.bytes[IB_UVERBS_CREATE_QP_RESP_SIZE]).toBe(0xee);
  });

  it('an RSS QP on an indirection table: no receive queue, CQ or SRQ of its own (else EINVAL)', async () => {
    const r = await WriteRig.open();
    const { p, c } = await pdCq(r);
    const w = await wq(r, p, c);
    const t = await indTbl(r, [w.wqHandle]);
    const rss = { pdHandle: p, qpType: QPT.IB_UVERBS_QPT_RAW_PACKET, compMask: 1, rwqIndTblHandle: t.indTblHandle, maxSendWr: 0, maxRecvWr: 0, maxRecvSge: 0, maxSendSge: 0 };
    await r.fails(EINVAL, 'EX_CREATE_QP', { req: exQp({ ...rss, maxRecvWr: 4 }) });
    await r.fails(EINVAL, 'EX_CREATE_QP', { req: exQp({ ...rss, isSrq: 1 }) });
    await r.fails(EINVAL, 'EX_CREATE_QP', { req: exQp({ ...rss, rwqIndTblHandle: p }) });
    const resp = await r.call('EX_CREATE_QP', { req: exQp(rss) }, decodeIbUverbsExCreateQpResp);
    expect(r.record<Qp>(resp.base.qpHandle)).toMatchObject({ indTbl: r.record<RwqIndTbl>(t.indTblHandle), sendCq: undefined, recvCq: undefined });
    await r.fails(EBUSY, 'EX_DESTROY_RWQ_IND_TBL', { req: handleReq(8, 4, t.indTblHandle), respRoom: 0 });
  });

  it('create flags: unknown ones EINVAL; a source QP number for UD, which needs CAP_NET_RAW (EPERM)', async () => {
    const r = await WriteRig.open();
    const { p, c } = await pdCq(r);
    const base = { pdHandle: p, sendCqHandle: c, recvCqHandle: c };
    await r.fails(EINVAL, 'EX_CREATE_QP', { req: exQp({ ...base, createFlags: 1 << 5 }) });
    const resp = await r.call('EX_CREATE_QP', { req: exQp({ ...base, createFlags: IB_QP_CREATE.SOURCE_QPN | IB_QP_CREATE.BLOCK_MULTICAST_LOOPBACK, sourceQpn: 0x1234 }) }, decodeIbUverbsExCreateQpResp);
    expect(r.record<Qp>(resp.base.qpHandle)).toMatchObject({ sourceQpn: 0x1234, createFlags: IB_QP_CREATE.SOURCE_QPN | IB_QP_CREATE.BLOCK_MULTICAST_LOOPBACK });
    await r.fails(EINVAL, 'EX_CREATE_QP', { req: exQp({ ...base, qpType: QPT.IB_UVERBS_QPT_RC, createFlags: IB_QP_CREATE.SOURCE_QPN, sourceQpn: 1 }) });
    coreState(r.device).mayUseRawPacket = () => false;
    await r.fails(EPERM, 'EX_CREATE_QP', { req: exQp({ ...base, createFlags: IB_QP_CREATE.SOURCE_QPN, sourceQpn: 0x1234 }) });
  });
});

describe('OPEN_QP', () => {
  it('opens another file\'s XRC target QP through a shared XRC domain; the real QP is held until the opened one goes', async () => {
    const r = await WriteRig.open();
    const inode = new Inode('/tmp/xrc-domain');
    const fileFd = r.session.process.openFile(inode);
    const xa = await xrcd(r, fileFd, O_CREAT);
    const tgt = await qp(r, { pdHandle: xa, qpType: QPT.IB_UVERBS_QPT_XRC_TGT });

    const other = await r.openFile();
    const xb = await xrcd(r, fileFd, 0, other.fd);
    const opened = await r.call('OPEN_QP', openQp(xb, tgt.qpn), decodeIbUverbsCreateQpResp, other.fd);
    expect(opened.qpn).toBe(tgt.qpn);
    const shared = r.record<Qp>(opened.qpHandle);
    expect(isSharedQp(shared) && shared.real).toBe(r.record<Qp>(tgt.qpHandle));
    expect(r.device.idr.get(opened.qpHandle)!.file).not.toBe(r.session.file);

    await r.fails(EBUSY, 'DESTROY_QP', destroy(tgt.qpHandle));
    await r.fails(EBUSY, 'CLOSE_XRCD', { req: handleReq(4, 0, xb) }, other.fd);
    expect((await r.call('DESTROY_QP', destroy(opened.qpHandle), decodeIbUverbsDestroyQpResp, other.fd)).eventsReported).toBe(0);
    const s = coreState(r.device);
    expect(s.qpns.has(tgt.qpn)).toBe(true);
    r.ok(await r.write('DESTROY_QP', destroy(tgt.qpHandle)));
    expect(s.qpns.has(tgt.qpn)).toBe(false);
    r.ok(await r.write('CLOSE_XRCD', { req: handleReq(4, 0, xb) }, other.fd));
  });

  it('a type other than XRC_TGT, an unknown QP number, another domain or a bad XRCD answers EINVAL', async () => {
    const r = await WriteRig.open();
    const x = await xrcd(r);
    const y = await xrcd(r);
    const tgt = await qp(r, { pdHandle: x, qpType: QPT.IB_UVERBS_QPT_XRC_TGT });
    await r.fails(EINVAL, 'OPEN_QP', openQp(x, tgt.qpn, QPT.IB_UVERBS_QPT_RC));
    await r.fails(EINVAL, 'OPEN_QP', openQp(x, tgt.qpn + 1));
    await r.fails(EINVAL, 'OPEN_QP', openQp(y, tgt.qpn));
    await r.fails(EINVAL, 'OPEN_QP', openQp(await pd(r), tgt.qpn));
    const mine = await r.call('OPEN_QP', openQp(x, tgt.qpn), decodeIbUverbsCreateQpResp);
    expect(r.device.idr.get(mine.qpHandle)!.userHandle).toBe(0x99n);
    expect(r.record<Xrcd>(x).usecnt).toBe(2);
  });
});

describe('DESTROY_QP', () => {
  it('reports the QP\'s events and gives back what it held', async () => {
    const r = await WriteRig.open();
    const { p, c } = await pdCq(r);
    const q = await qp(r, { pdHandle: p, sendCqHandle: c, recvCqHandle: c });
    r.record<Qp>(q.qpHandle).eventsReported = 4;
    expect((await r.call('DESTROY_QP', destroy(q.qpHandle), decodeIbUverbsDestroyQpResp)).eventsReported).toBe(4);
    expect([r.record<Pd>(p).usecnt, r.record<Cq>(c).usecnt, coreState(r.device).count('QP')]).toEqual([0, 0, 0]);
  });

  it('no such handle ENOENT, another type EINVAL', async () => {
    const r = await WriteRig.open();
    await r.fails(ENOENT, 'DESTROY_QP', destroy(55));
    await r.fails(EINVAL, 'DESTROY_QP', destroy(await pd(r)));
  });
});
