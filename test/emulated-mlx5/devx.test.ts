/**
 * DEVX through the emulated firmware: objects keep the command they were made with and
 * answer queries and modifies from it; ids name objects across commands; umems back
 * queues; the async command fd and the event channel queue what read() returns.
 */
import { describe, expect, it } from 'vitest';
import * as mlx5 from '../../generated/mlx5/index.js';
import { EAGAIN, EBADF, EBUSY, EFAULT, EINVAL, EIO, ENOENT, ENOSPC } from '../../runtime/abi/errno.js';
import { UserPtr } from '../../runtime/user/ioctl-buffer.js';
import {
  Mailbox, MAX_ASYNC_BYTES, Mlx5Event, Op, type Mlx5Cq, raiseDevxEvent, readAsyncCmd, readDevxEvent, type DevxAsyncCmdFd, type DevxEventChannel, type DevxObj, type DevxUmem,
} from '../../runtime/emulated/mlx5/index.js';
import { byNumber, createCq, createQp, DEVX_REQUEST, Mlx5Session, prm } from './helpers.js';
import { errnoOf } from '../emulated/helpers.js';
import { objectAt } from '../../runtime/kernel/object-file.js';

const VIRTQ = 0x000d;

async function devxCq(s: Mlx5Session, logSize = 6): Promise<{ handle: number; cqn: number; ring: number; dbr: number }> {
  const ring = await s.umem(8192);
  const dbr = await s.umem(4096);
  const { handle, out } = await s.devx(createCq({ logSize, eqn: 8, uarPage: s.ctx.staticUars[0]!, ring: ring.id, dbr: dbr.id }));
  return { handle, cqn: out.u24(8), ring: ring.handle, dbr: dbr.handle };
}

describe('emulated mlx5 device: DEVX objects', () => {
  it('a general object answers its query from the kept create bytes; modify rewrites them; destroy forgets them', async () => {
    const s = await Mlx5Session.open();
    const create = prm(Op.CREATE_GENERAL_OBJECT, 0x50, VIRTQ);
    for (let i = 0x10; i < 0x50; i++) create.set8(i, i);
    const { handle, out } = await s.devx(create);
    const id = out.u32(8);
    const obj = s.record<DevxObj>(handle);
    expect(obj).toMatchObject({ fwId: id, objType: VIRTQ, uid: s.ctx.uid });
    expect(obj.cmd.uid).toBe(s.ctx.uid); // stamped, as the kernel does

    const query = prm(Op.QUERY_GENERAL_OBJECT, 16, VIRTQ);
    query.set32(8, id);
    const q = await s.devxQuery(handle, query, 0x50);
    expect(q.u8(0)).toBe(0);
    expect(q.u32(8)).toBe(id);
    expect(q.bytes.subarray(0x10)).toEqual(create.bytes.subarray(0x10));

    const modify = prm(Op.MODIFY_GENERAL_OBJECT, 0x50, VIRTQ);
    modify.set32(8, id);
    for (let i = 0x10; i < 0x50; i++) modify.set8(i, 0xff - i);
    expect((await s.devxModify(handle, modify)).bytes).toEqual(new Uint8Array(16));
    const q2 = await s.devxQuery(handle, query, 0x50);
    expect(q2.bytes.subarray(0x10)).toEqual(modify.bytes.subarray(0x10));
    // A longer answer buffer gets zeros past the object's bytes; a shorter one what fits.
    expect((await s.devxQuery(handle, query, 0x60)).bytes.subarray(0x50).every((x) => x === 0)).toBe(true);
    expect((await s.devxQuery(handle, query, 0x20)).bytes.subarray(0x10)).toEqual(modify.bytes.subarray(0x10, 0x20));

    const other = prm(Op.QUERY_GENERAL_OBJECT, 16, VIRTQ + 1);
    other.set32(8, id);
    await s.fails(EINVAL, mlx5.encodeDevxObjQuery, { handle, cmdIn: other.bytes, cmdOut: 16 });
    query.set32(8, id + 1);
    await s.fails(EINVAL, mlx5.encodeDevxObjQuery, { handle, cmdIn: query.bytes, cmdOut: 16 });
    await s.fails(EINVAL, mlx5.encodeDevxObjQuery, { handle, cmdIn: byNumber(Op.QUERY_CQ, id, 16).bytes, cmdOut: 16 });
    await s.fails(EINVAL, mlx5.encodeDevxObjModify, { handle, cmdIn: query.bytes, cmdOut: 16 }); // a query is not a modify

    await s.call(mlx5.encodeDevxObjDestroy, { handle }, mlx5.decodeDevxObjDestroyOut);
    await s.fails(ENOENT, mlx5.encodeDevxObjQuery, { handle, cmdIn: query.bytes, cmdOut: 16 });
    expect(s.state.space('general').inUse).toBe(0);
  });

  it('refuses commands that create nothing, vhca tunnels, and contexts without a DEVX uid', async () => {
    const s = await Mlx5Session.open();
    await s.fails(EINVAL, mlx5.encodeDevxObjCreate, { cmdIn: prm(Op.QUERY_CQ, 16).bytes, cmdOut: 16 });
    const tunnel = prm(Op.CREATE_GENERAL_OBJECT, 16, VIRTQ);
    tunnel.set16(4, 1);
    await s.fails(EINVAL, mlx5.encodeDevxObjCreate, { cmdIn: tunnel.bytes, cmdOut: 16 });
    await s.fails(EINVAL, mlx5.encodeDevxObjCreate, { cmdIn: prm(Op.CREATE_MKEY, 0x40).bytes, cmdOut: 16 }); // without the whole mkey context
    const mkey = await s.devx(prm(Op.CREATE_MKEY, 0x110));
    expect(s.record<DevxObj>(mkey.handle).kind.name).toBe('MKEY');
    const plain = await s.another({ ...DEVX_REQUEST, flags: 0 });
    await plain.fails(EINVAL, mlx5.encodeDevxObjCreate, { cmdIn: prm(Op.CREATE_GENERAL_OBJECT, 16, VIRTQ).bytes, cmdOut: 16 });
    await plain.fails(EINVAL, mlx5.encodeDevxUmemReg, { addr: plain.map(4096).addr, len: 4096 });
    expect(s.device.idr.size).toBe(1);
  });

  it('attaches a QP to a multicast group once; detaching (destroy) lets it attach again', async () => {
    const s = await Mlx5Session.open();
    const attach = prm(Op.ATTACH_TO_MCG, 0x20);
    attach.set24(8, 0x123);
    attach.set32(0x10, 0xff0e0000);
    const first = await s.devx(attach);
    await s.fails(EINVAL, mlx5.encodeDevxObjCreate, { cmdIn: attach.bytes, cmdOut: 16 });
    const other = Mailbox.zeroed(0x20);
    other.bytes.set(attach.bytes);
    other.set32(0x1c, 1);
    await s.devx(other);
    await s.call(mlx5.encodeDevxObjDestroy, { handle: first.handle }, mlx5.decodeDevxObjDestroyOut);
    await s.devx(attach);
    expect(s.state.devxObjects.size).toBe(2);
  });

  it('a QP walks RST, INIT, RTR, RTS as its transitions say, and refuses one from the wrong state', async () => {
    const s = await Mlx5Session.open();
    const ring = await s.umem(16384);
    const dbr = await s.umem(4096);
    const { handle, out } = await s.devx(createQp({ ring: ring.id, dbr: dbr.id, pd: 0x42 }));
    const qpn = out.u24(8);
    const state = async (): Promise<number> => (await s.devxQuery(handle, byNumber(Op.QUERY_QP, qpn, 16), 0x100)).u8(0x18) >> 4;
    expect(await state()).toBe(0);
    await s.fails(EINVAL, mlx5.encodeDevxObjModify, { handle, cmdIn: byNumber(Op.INIT2RTR_QP, qpn, 0x100).bytes, cmdOut: 16 });
    const init = byNumber(Op.RST2INIT_QP, qpn, 0x100);
    init.set24(0x18 + 4, 0x42);
    init.set8(0x18 + 0x20, 0x77); // a field of the new QP context
    await s.devxModify(handle, init);
    expect(await state()).toBe(1);
    const q = await s.devxQuery(handle, byNumber(Op.QUERY_QP, qpn, 16), 0x100);
    expect(q.u8(0x18 + 0x20)).toBe(0x77);
    expect(q.u24(0x18 + 4)).toBe(0x42);
    await s.devxModify(handle, byNumber(Op.INIT2RTR_QP, qpn, 0x100));
    await s.devxModify(handle, byNumber(Op.RTR2RTS_QP, qpn, 0x100));
    expect(await state()).toBe(3);
    await s.devxModify(handle, byNumber(Op.QP_2ERR, qpn, 0x20));
    expect(await state()).toBe(6);
    await s.devxModify(handle, byNumber(Op.QP_2RST, qpn, 0x20));
    expect(await state()).toBe(0);
  });

  it('an SQ moves RST to RDY when the modify names its current state', async () => {
    const s = await Mlx5Session.open();
    const { handle, out } = await s.devx(prm(Op.CREATE_SQ, 0x80));
    const sqn = out.u24(8);
    const toRdy = byNumber(Op.MODIFY_SQ, sqn, 0x80);
    toRdy.set8(0x21, 1 << 4);
    await s.devxModify(handle, toRdy);
    expect((await s.devxQuery(handle, byNumber(Op.QUERY_SQ, sqn, 16), 0x80)).u8(0x21) >> 4).toBe(1);
    await s.fails(EINVAL, mlx5.encodeDevxObjModify, { handle, cmdIn: toRdy.bytes, cmdOut: 16 }); // it says RST, the SQ is RDY
    const bad = byNumber(Op.MODIFY_SQ, sqn, 0x80);
    bad.set8(8, 1 << 4);
    bad.set8(0x21, 2 << 4);
    await s.fails(EINVAL, mlx5.encodeDevxObjModify, { handle, cmdIn: bad.bytes, cmdOut: 16 });
  });

  it('a CQ needs a completion EQ and umems of its uid big enough for its ring', async () => {
    const s = await Mlx5Session.open();
    const ring = await s.umem(4096);
    const dbr = await s.umem(4096);
    const uar = s.ctx.staticUars[0]!;
    await s.fails(EINVAL, mlx5.encodeDevxObjCreate, { cmdIn: createCq({ logSize: 6, eqn: 99, uarPage: uar, ring: ring.id, dbr: dbr.id }).bytes, cmdOut: 16 });
    await s.fails(EINVAL, mlx5.encodeDevxObjCreate, { cmdIn: createCq({ logSize: 7, eqn: 8, uarPage: uar, ring: ring.id, dbr: dbr.id }).bytes, cmdOut: 16 });
    await s.fails(EINVAL, mlx5.encodeDevxObjCreate, { cmdIn: createCq({ logSize: 6, eqn: 8, uarPage: uar, ring: 999, dbr: dbr.id }).bytes, cmdOut: 16 });
    const t = await s.another();
    const theirs = await t.umem(8192);
    await s.fails(EINVAL, mlx5.encodeDevxObjCreate, { cmdIn: createCq({ logSize: 6, eqn: 8, uarPage: uar, ring: theirs.id, dbr: dbr.id }).bytes, cmdOut: 16 });
    const { handle, out } = await s.devx(createCq({ logSize: 6, eqn: 8, uarPage: uar, ring: ring.id, dbr: dbr.id }));
    const obj = s.record<DevxObj>(handle);
    expect(obj.cmd.u8(0x5c) & 0x80).toBe(0x80); // cq_umem_valid, set as the kernel sets it
    const q = await s.devxQuery(handle, byNumber(Op.QUERY_CQ, out.u24(8), 16), 0x100);
    expect(q.u24(0x1c)).toBe(uar);
    expect(q.u32(0x58)).toBe(0); // the umem fields are not part of the answered context
    await s.fails(EBUSY, mlx5.encodeDevxUmemDereg, { handle: ring.handle });
    await s.call(mlx5.encodeDevxObjDestroy, { handle }, mlx5.decodeDevxObjDestroyOut);
    await s.call(mlx5.encodeDevxUmemDereg, { handle: ring.handle }, mlx5.decodeDevxUmemDeregOut);
  });

  it('flow groups and entries name their table; the firmware keeps a table while they exist', async () => {
    const s = await Mlx5Session.open();
    const ft = await s.devx(prm(Op.CREATE_FLOW_TABLE, 0x40));
    const tableId = ft.out.u24(8);
    const fgCmd = prm(Op.CREATE_FLOW_GROUP, 0x40);
    fgCmd.set24(0x14, tableId);
    const fg = await s.devx(fgCmd);
    const groupId = fg.out.u24(8);
    const tir = await s.devx(prm(Op.CREATE_TIR, 0x40));
    const fte = prm(Op.SET_FLOW_TABLE_ENTRY, 0x400);
    fte.set24(0x14, tableId);
    fte.set32(0x20, 7);
    fte.set32(0x44, groupId);
    fte.set16(0x4e, 0x4); // forward
    fte.set24(0x50, 1);
    fte.set8(0x340, 2); // to a TIR
    fte.set24(0x340, tir.out.u24(8));
    const entry = await s.devx(fte);
    expect(s.record<DevxObj>(entry.handle).fwId).toBe(7);
    await s.fails(EINVAL, mlx5.encodeDevxObjCreate, { cmdIn: fte.bytes, cmdOut: 16 }); // index 7 is taken

    const qfte = prm(Op.QUERY_FLOW_TABLE_ENTRY, 0x40);
    qfte.set24(0x14, tableId);
    qfte.set32(0x20, 7);
    expect((await s.devxQuery(entry.handle, qfte, 0x60)).u32(0x44)).toBe(groupId);

    for (const h of [ft.handle, fg.handle, tir.handle]) await s.fails(EBUSY, mlx5.encodeDevxObjDestroy, { handle: h });
    await s.call(mlx5.encodeDevxObjDestroy, { handle: entry.handle }, mlx5.decodeDevxObjDestroyOut);
    await s.fails(EBUSY, mlx5.encodeDevxObjDestroy, { handle: ft.handle });
    for (const h of [fg.handle, ft.handle, tir.handle]) await s.call(mlx5.encodeDevxObjDestroy, { handle: h }, mlx5.decodeDevxObjDestroyOut);

    const orphan = prm(Op.CREATE_FLOW_GROUP, 0x40);
    orphan.set24(0x14, tableId);
    await s.fails(EINVAL, mlx5.encodeDevxObjCreate, { cmdIn: orphan.bytes, cmdOut: 16 });
  });

  it('reaches verbs objects by their firmware numbers', async () => {
    const s = await Mlx5Session.open();
    const ring = s.map(4096);
    const db = s.map(64);
    const cq = await s.call(mlx5.encodeCqCreate, { cqe: 31, userHandle: 0n, compVector: 2, uhwIn: { bufAddr: ring.addr, dbAddr: db.addr, cqeSize: 128 } }, mlx5.decodeCqCreateOut);
    const cqn = s.record<Mlx5Cq>(cq.handle).cqn;
    const q = await s.devxQuery(cq.handle, byNumber(Op.QUERY_CQ, cqn, 16), 0x50);
    expect(q.u8(0x1c)).toBe(5);
    expect(q.u8(0x11) >> 5).toBe(1); // 128-byte CQEs
    await s.devxModify(cq.handle, byNumber(Op.MODIFY_CQ, cqn, 0x50));
    await s.fails(EINVAL, mlx5.encodeDevxObjQuery, { handle: cq.handle, cmdIn: byNumber(Op.QUERY_CQ, cqn + 1, 16).bytes, cmdOut: 16 });
    const { handle: pdh } = s.pd();
    await s.fails(EINVAL, mlx5.encodeDevxObjQuery, { handle: pdh, cmdIn: byNumber(Op.QUERY_CQ, cqn, 16).bytes, cmdOut: 16 });
  });
});

describe('emulated mlx5 device: DEVX umems', () => {
  it('covers mapped memory (EFAULT otherwise) or a dma-buf, with the page size the bitmap allows', async () => {
    const s = await Mlx5Session.open();
    await s.fails(EFAULT, mlx5.encodeDevxUmemReg, { addr: 0x7000_0000, len: 4096 });
    const m = s.map(3 * 65536);
    const aligned = m.addr + 65536 - (m.addr % 65536);
    const big = await s.call(mlx5.encodeDevxUmemReg, { addr: aligned + 0x100, len: 65536, pgszBitmap: 1n << 16n }, mlx5.decodeDevxUmemRegOut);
    expect(s.record<DevxUmem>(big.handle)).toMatchObject({ pageSize: 65536, pageOffset: 0x100, umemId: big.outId });
    await s.fails(EINVAL, mlx5.encodeDevxUmemReg, { addr: m.addr, len: 4096, pgszBitmap: 0x800 });
    await s.fails(EINVAL, mlx5.encodeDevxUmemReg, { addr: m.addr, len: 4096, access: mlx5.IB_UVERBS_ACCESS_FLAGS.IB_UVERBS_ACCESS_REMOTE_ATOMIC });
    await s.fails(EINVAL, mlx5.encodeDevxUmemReg, { addr: m.addr, len: 4096, access: mlx5.IB_UVERBS_ACCESS_FLAGS.IB_UVERBS_ACCESS_REMOTE_WRITE });
    const { handle: dmabuf } = await s.call(mlx5.encodeDmabufAlloc, { pgoff: 1 }, mlx5.decodeDmabufAllocOut);
    const d = await s.call(mlx5.encodeDevxUmemReg, { addr: 0, len: 4096, dmabufFd: dmabuf }, mlx5.decodeDevxUmemRegOut);
    expect(s.record<DevxUmem>(d.handle).buffer).toMatchObject({ kind: 'dmabuf', offset: 0n, length: 4096n });
    await s.fails(EBADF, mlx5.encodeDevxUmemReg, { addr: 0, len: 4096, dmabufFd: 99 });
  });
});

describe('emulated mlx5 device: DEVX files', () => {
  it('the async command fd queues answers for read(): ENOSPC for a short buffer, EAGAIN when empty or full, EIO once closed', async () => {
    const s = await Mlx5Session.open();
    const { handle, cqn } = await devxCq(s);
    const { handle: fd } = await s.call(mlx5.encodeDevxAsyncCmdFdAlloc, {}, mlx5.decodeDevxAsyncCmdFdAllocOut);
    const file = objectAt(s.process, fd)!.object as DevxAsyncCmdFd;
    const cmdIn = byNumber(Op.QUERY_CQ, cqn, 16).bytes;
    await s.call(mlx5.encodeDevxObjAsyncQuery, { handle, cmdIn, fd, wrId: 1n, outLen: 0x50 }, mlx5.decodeDevxObjAsyncQueryOut);
    expect(errnoOf(() => readAsyncCmd(file, 0x50))).toBe(ENOSPC);
    const a = readAsyncCmd(file, 0x58);
    expect(a[8 + 0x1c]! & 0x1f).toBe(6); // the CQ's log size, at its place in the answer
    expect(errnoOf(() => readAsyncCmd(file, 0x58))).toBe(EAGAIN);
    const per = 8 + 0xffff;
    const fits = Math.floor(MAX_ASYNC_BYTES / per);
    for (let i = 0; i < fits; i++) await s.call(mlx5.encodeDevxObjAsyncQuery, { handle, cmdIn, fd, wrId: BigInt(i), outLen: 0xffff }, mlx5.decodeDevxObjAsyncQueryOut);
    await s.fails(EAGAIN, mlx5.encodeDevxObjAsyncQuery, { handle, cmdIn, fd, wrId: 99n, outLen: 0xffff });
    await s.fails(EINVAL, mlx5.encodeDevxObjAsyncQuery, { handle, cmdIn: byNumber(Op.QUERY_CQ, cqn + 1, 16).bytes, fd, wrId: 0n, outLen: 0x50 });
    await s.process.close(fd);
    file.answers.length = 0;
    expect(errnoOf(() => readAsyncCmd(file, 0x58))).toBe(EIO);
  });

  it('the event channel queues subscribed events; omit-data channels queue a cookie once until read', async () => {
    const s = await Mlx5Session.open();
    const cq = await devxCq(s);
    const obj = s.record<DevxObj>(cq.handle);
    const { handle: omit } = await s.call(mlx5.encodeDevxAsyncEventFdAlloc, { flags: 1 }, mlx5.decodeDevxAsyncEventFdAllocOut);
    const ch = objectAt(s.process, omit)!.object as DevxEventChannel;
    expect(ch.omitData).toBe(true);
    await s.call(mlx5.encodeDevxSubscribeEvent, { fdHandle: omit, objHandle: cq.handle, typeNumList: [Mlx5Event.COMP, Mlx5Event.CQ_ERROR], cookie: 5n }, mlx5.decodeDevxSubscribeEventOut);
    await s.call(mlx5.encodeDevxSubscribeEvent, { fdHandle: omit, typeNumList: [Mlx5Event.PORT_CHANGE], cookie: 6n }, mlx5.decodeDevxSubscribeEventOut);
    raiseDevxEvent(s.state, Mlx5Event.COMP, obj);
    raiseDevxEvent(s.state, Mlx5Event.COMP, obj);
    raiseDevxEvent(s.state, Mlx5Event.PORT_CHANGE);
    expect(ch.events).toHaveLength(2);
    expect(errnoOf(() => readDevxEvent(ch, 7))).toBe(EINVAL);
    expect(new DataView(readDevxEvent(ch, 8).buffer).getBigUint64(0, true)).toBe(5n);
    expect(new DataView(readDevxEvent(ch, 8).buffer).getBigUint64(0, true)).toBe(6n);
    raiseDevxEvent(s.state, Mlx5Event.COMP, obj);
    expect(ch.events).toHaveLength(1);

    await s.call(mlx5.encodeDevxObjDestroy, { handle: cq.handle }, mlx5.decodeDevxObjDestroyOut);
    expect(raiseDevxEvent(s.state, Mlx5Event.COMP, obj)).toBe(0); // destroying the object ended its subscription
    expect(ch.subscriptions.size).toBe(1);
    await s.process.close(omit);
    expect(raiseDevxEvent(s.state, Mlx5Event.PORT_CHANGE)).toBe(0);
    readDevxEvent(ch, 8);
    expect(errnoOf(() => readDevxEvent(ch, 8))).toBe(EIO);
  });

  it('refuses events the object cannot raise, too many types, odd lists and eventfds', async () => {
    const s = await Mlx5Session.open();
    const tis = await s.devx(prm(Op.CREATE_TIS, 0x40));
    const { handle: fd } = await s.call(mlx5.encodeDevxAsyncEventFdAlloc, { flags: 0 }, mlx5.decodeDevxAsyncEventFdAllocOut);
    await s.fails(EINVAL, mlx5.encodeDevxSubscribeEvent, { fdHandle: fd, objHandle: tis.handle, typeNumList: [Mlx5Event.COMP] });
    await s.fails(EINVAL, mlx5.encodeDevxSubscribeEvent, { fdHandle: fd, typeNumList: [Mlx5Event.COMP] }); // not unaffiliated
    await s.call(mlx5.encodeDevxSubscribeEvent, { fdHandle: fd, objHandle: tis.handle, typeNumList: [Mlx5Event.OBJECT_CHANGE] }, mlx5.decodeDevxSubscribeEventOut);
    await s.fails(EINVAL, mlx5.encodeDevxSubscribeEvent, { fdHandle: fd, objHandle: tis.handle, typeNumList: new Array<number>(17).fill(Mlx5Event.OBJECT_CHANGE) });
    await s.fails(EINVAL, mlx5.encodeDevxSubscribeEvent, { fdHandle: fd, objHandle: tis.handle, typeNumList: new UserPtr(s.map(64).addr, 11) });
    await s.fails(EBADF, mlx5.encodeDevxSubscribeEvent, { fdHandle: fd, typeNumList: [Mlx5Event.PORT_CHANGE], fdNum: 77 });
    await s.fails(EINVAL, mlx5.encodeDevxSubscribeEvent, { fdHandle: fd, typeNumList: [Mlx5Event.PORT_CHANGE], fdNum: s.fd });
    await s.fails(EINVAL, mlx5.encodeDevxSubscribeEvent, { fdHandle: fd, typeNumList: [Mlx5Event.PORT_CHANGE], fdNum: 77, cookie: 1n });
    const ev = raiseDevxEvent(s.state, Mlx5Event.OBJECT_CHANGE, s.record<DevxObj>(tis.handle));
    expect(ev).toBe(1);
    const bytes = readDevxEvent(objectAt(s.process, fd)!.object as DevxEventChannel, 100);
    const v = new DataView(bytes.buffer, 8);
    expect(v.getUint32(0x24)).toBe(s.record<DevxObj>(tis.handle).fwId);
  });
});
