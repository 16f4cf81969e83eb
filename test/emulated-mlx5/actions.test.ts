/**
 * Every action mlx5 adds (its own types' and its new actions on core types) once, end
 * to end, with what it wrote back checked; the last test proves none was left out.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as mlx5 from '../../generated/mlx5/index.js';
import { EAGAIN, EINVAL, ENODEV, ENOSPC, EOPNOTSUPP } from '../../runtime/abi/errno.js';
import {
  createMlx5Device, Mailbox, Mlx5Event, Op, raiseDevxEvent, switchdevEswitch, type DevxObj, type FlowMatcher, type ModifyHeaderAction, type PacketReformatAction, type RawFlow, type Var,
} from '../../runtime/emulated/mlx5/index.js';
import { byNumber, createCq, Mlx5Session, prm } from './helpers.js';

const { MLX5_IB_UAPI_FLOW_TABLE_TYPE: FT } = mlx5;

const sessions: Mlx5Session[] = [];
async function open(caps: Parameters<typeof Mlx5Session.open>[0] = {}): Promise<Mlx5Session> {
  const s = await Mlx5Session.open(caps);
  sessions.push(s);
  return s;
}

afterAll(async () => {
  for (const s of sessions) await s.process.close(s.fd);
});

/** A raw packet QP (with its CQ and PD) to steer to. */
async function rawQp(s: Mlx5Session): Promise<number> {
  const { handle: pdh } = s.pd();
  const ring = s.map(8192);
  const db = s.map(4096);
  const cq = await s.call(mlx5.encodeCqCreate, { cqe: 15, userHandle: 0n, compVector: 0, uhwIn: { bufAddr: ring.addr, dbAddr: db.addr, cqeSize: 64 } }, mlx5.decodeCqCreateOut);
  const qbuf = s.map(8192);
  const q = await s.call(mlx5.encodeQpCreate, {
    pdHandle: pdh, sendCqHandle: cq.handle, recvCqHandle: cq.handle, userHandle: 0n, cap: { maxSendWr: 4, maxRecvWr: 4, maxSendSge: 1, maxRecvSge: 1 },
    type: mlx5.IB_UVERBS_QP_TYPE.IB_UVERBS_QPT_RAW_PACKET, uhwIn: { bufAddr: qbuf.addr, dbAddr: db.addr + 64, rqWqeCount: 4, rqWqeShift: 6, sqWqeCount: 0 },
  }, mlx5.decodeQpCreateOut);
  return q.handle;
}

describe('emulated mlx5 device: every mlx5 action', () => {
  it('MLX5_QUERY_PORT reports nothing outside switchdev, the vport\'s facts in it', async () => {
    const nic = await open();
    const none = (await nic.call(mlx5.encodeMlx5QueryPort, { portNum: 1 }, mlx5.decodeMlx5QueryPortOut)).resp;
    expect(none.flags).toBe(0n);
    await nic.fails(EINVAL, mlx5.encodeMlx5QueryPort, { portNum: 3 });
    const esw = await open({ eswitch: switchdevEswitch() });
    const r = (await esw.call(mlx5.encodeMlx5QueryPort, { portNum: 2 }, mlx5.decodeMlx5QueryPortOut)).resp;
    expect(r).toEqual({
      flags: 0x3fn, vport: 1, vportVhcaId: 3, eswOwnerVhcaId: 0, rsvd0: 0,
      vportSteeringIcmRx: 0x1_0000_1000n, vportSteeringIcmTx: 0x1_8000_1000n, regC0: { value: 0x2_0000, mask: 0xffff0000 },
    });
  });

  it('GET_DATA_DIRECT_SYSFS_PATH writes the NUL-terminated path, ENOSPC when it does not fit, ENODEV without one', async () => {
    const s = await open();
    const out = await s.call(mlx5.encodeGetDataDirectSysfsPath, { path: 128 }, mlx5.decodeGetDataDirectSysfsPathOut);
    const text = new TextDecoder().decode(out.path);
    expect(text.slice(0, text.indexOf('\0'))).toBe('/sys/devices/pci0000:00/0000:00:02.0/0000:03:00.1');
    await s.fails(ENOSPC, mlx5.encodeGetDataDirectSysfsPath, { path: 16 });
    const none = await open({ dataDirectPath: null });
    await none.fails(ENODEV, mlx5.encodeGetDataDirectSysfsPath, { path: 128 });
  });

  it('PD_QUERY reports the PD number', async () => {
    const s = await open();
    const { handle, rec } = s.pd();
    expect((await s.call(mlx5.encodePdQuery, { handle }, mlx5.decodePdQueryOut)).respPdn).toBe(rec.pdn);
  });

  it('DM_MAP_OP_ADDR maps a MEMIC operation (the same place when asked again); DM_QUERY reports the block', async () => {
    const s = await open();
    const dm = await s.call(mlx5.encodeDmAlloc, { length: 5000, alignment: 6, respPageIndex: true }, mlx5.decodeDmAllocOut);
    const q = await s.call(mlx5.encodeDmQuery, { reqHandle: dm.handle }, mlx5.decodeDmQueryOut);
    expect(q).toEqual({ respStartOffset: dm.respStartOffset, respPageIndex: dm.respPageIndex, respLength: 5000n });
    const op = await s.call(mlx5.encodeDmMapOpAddr, { reqHandle: dm.handle, reqOp: 1, respPageIndex: true }, mlx5.decodeDmMapOpAddrOut);
    // Operation 1's window starts 64 pages into the BAR plus one MEMIC region (256 KiB = 64 pages).
    expect(op).toEqual({ respStartOffset: 0n, respPageIndex: 128 });
    expect(await s.call(mlx5.encodeDmMapOpAddr, { reqHandle: dm.handle, reqOp: 1, respPageIndex: true }, mlx5.decodeDmMapOpAddrOut)).toEqual(op);
    await s.fails(EOPNOTSUPP, mlx5.encodeDmMapOpAddr, { reqHandle: dm.handle, reqOp: 5 });
  });

  it('DEVX_OTHER runs general commands with the uid stamped, refuses object commands', async () => {
    const s = await open();
    const out = new Mailbox((await s.call(mlx5.encodeDevxOther, { cmdIn: prm(Op.QUERY_ISSI, 16).bytes, cmdOut: 0x70 }, mlx5.decodeDevxOtherOut)).cmdOut);
    expect(out.u8(0)).toBe(0); // status OK
    expect(out.u16(0x0a)).toBe(1); // current ISSI
    expect(out.u32(0x6c)).toBe(0b11);
    const nop = new Mailbox((await s.call(mlx5.encodeDevxOther, { cmdIn: prm(Op.NOP, 16).bytes, cmdOut: 16 }, mlx5.decodeDevxOtherOut)).cmdOut);
    expect(nop.bytes).toEqual(new Uint8Array(16));
    await s.fails(EINVAL, mlx5.encodeDevxOther, { cmdIn: prm(Op.CREATE_CQ, 16).bytes, cmdOut: 16 });
  });

  it('DEVX_QUERY_UAR and DEVX_QUERY_EQN translate user indexes to device ones', async () => {
    const s = await open();
    const a = (await s.call(mlx5.encodeDevxQueryUar, { userIdx: 0 }, mlx5.decodeDevxQueryUarOut)).devIdx;
    const b = (await s.call(mlx5.encodeDevxQueryUar, { userIdx: 1 }, mlx5.decodeDevxQueryUarOut)).devIdx;
    const c = (await s.call(mlx5.encodeDevxQueryUar, { userIdx: 2 }, mlx5.decodeDevxQueryUarOut)).devIdx;
    expect(a).toBe(b); // two registers per page
    expect(c).not.toBe(a);
    expect(s.ctx.staticUars).not.toContain(a);
    await s.fails(EINVAL, mlx5.encodeDevxQueryUar, { userIdx: 64 });
    expect((await s.call(mlx5.encodeDevxQueryEqn, { userVec: 3 }, mlx5.decodeDevxQueryEqnOut)).devEqn).toBe(11);
    await s.fails(EINVAL, mlx5.encodeDevxQueryEqn, { userVec: 8 });
  });

  it('DEVX_OBJ_CREATE / QUERY / MODIFY / ASYNC_QUERY / DESTROY, DEVX_UMEM_REG / DEREG, the async fds and DEVX_SUBSCRIBE_EVENT', async () => {
    const s = await open();
    const ring = await s.umem(8192);
    const dbr = await s.umem(4096);
    const { handle, out } = await s.devx(createCq({ logSize: 6, eqn: 8, uarPage: s.ctx.staticUars[0]!, ring: ring.id, dbr: dbr.id }));
    const cqn = out.u24(8);
    const obj = s.record<DevxObj>(handle);
    expect(obj.fwId).toBe(cqn);
    expect(obj.kind.name).toBe('CQ');

    const q = await s.devxQuery(handle, byNumber(Op.QUERY_CQ, cqn, 16), 0x50);
    expect(q.u8(0x1c) & 0x1f).toBe(6);
    await s.devxModify(handle, byNumber(Op.MODIFY_CQ, cqn, 0x50));

    const { handle: cmdFd } = await s.call(mlx5.encodeDevxAsyncCmdFdAlloc, {}, mlx5.decodeDevxAsyncCmdFdAllocOut);
    await s.call(mlx5.encodeDevxObjAsyncQuery, { handle, cmdIn: byNumber(Op.QUERY_CQ, cqn, 16).bytes, fd: cmdFd, wrId: 77n, outLen: 0x40 }, mlx5.decodeDevxObjAsyncQueryOut);
    const buf = s.process.memory.map(0x100);
    expect(await s.process.read(cmdFd, buf.addr, 0x100)).toBe(8 + 0x40); // read(2) of the fd: one answer
    expect(new DataView(buf.bytes.buffer).getBigUint64(0, true)).toBe(77n);
    expect(await s.process.read(cmdFd, buf.addr, 0x100)).toBe(-EAGAIN);

    const { handle: chFd } = await s.call(mlx5.encodeDevxAsyncEventFdAlloc, { flags: 0 }, mlx5.decodeDevxAsyncEventFdAllocOut);
    await s.call(mlx5.encodeDevxSubscribeEvent, { fdHandle: chFd, objHandle: handle, typeNumList: [Mlx5Event.COMP], cookie: 0xc00c1en }, mlx5.decodeDevxSubscribeEventOut);
    expect(raiseDevxEvent(s.state, Mlx5Event.COMP, obj)).toBe(1);
    expect(await s.process.read(chFd, buf.addr, 72)).toBe(72);
    const ev = buf.bytes.slice(0, 72);
    expect(new DataView(ev.buffer).getBigUint64(0, true)).toBe(0xc00c1en);
    expect(ev[8 + 1]).toBe(Mlx5Event.COMP);
    expect(new DataView(ev.buffer).getUint32(8 + 0x38) & 0xffffff).toBe(cqn);

    await s.call(mlx5.encodeDevxObjDestroy, { handle }, mlx5.decodeDevxObjDestroyOut);
    await s.call(mlx5.encodeDevxUmemDereg, { handle: ring.handle }, mlx5.decodeDevxUmemDeregOut);
    await s.call(mlx5.encodeDevxUmemDereg, { handle: dbr.handle }, mlx5.decodeDevxUmemDeregOut);
    expect(s.state.devxObjects.size).toBe(0);
    expect(s.state.umems.size).toBe(0);
  });

  it('FLOW_MATCHER_CREATE / DESTROY, CREATE_FLOW / DESTROY_FLOW, the header-modify and reformat actions', async () => {
    const s = await open();
    const { handle: matcher } = await s.call(mlx5.encodeFlowMatcherCreate, {
      matchMask: { matchParams: [0xffff0000] }, flowType: { elem: 'normal', value: 3 }, matchCriteria: 1,
    }, mlx5.decodeFlowMatcherCreateOut);
    expect(s.record<FlowMatcher>(matcher)).toMatchObject({ flowKind: 'normal', priority: 3, criteria: 1, ftType: FT.MLX5_IB_UAPI_FLOW_TABLE_TYPE_NIC_RX, ns: 'nic_rx' });
    expect(s.record<FlowMatcher>(matcher).mask.subarray(0, 4)).toEqual(new Uint8Array([0, 0, 0xff, 0xff]));

    // A set action (type 1) of field 0x11 to 0x0a000001.
    const actionsPrm = new Uint8Array([0x10, 0x11, 0, 0, 0x0a, 0, 0, 1]);
    const mh = await s.call(mlx5.encodeFlowActionCreateModifyHeader, { actionsPrm, ftType: FT.MLX5_IB_UAPI_FLOW_TABLE_TYPE_NIC_RX }, mlx5.decodeFlowActionCreateModifyHeaderOut);
    expect(s.record<ModifyHeaderAction>(mh.handle)).toMatchObject({ kind: 'modify_header', actions: actionsPrm, ns: 'nic_rx' });
    const pr = await s.call(mlx5.encodeFlowActionCreatePacketReformat, {
      type: mlx5.MLX5_IB_UAPI_FLOW_ACTION_PACKET_REFORMAT_TYPE.MLX5_IB_UAPI_FLOW_ACTION_PACKET_REFORMAT_TYPE_L2_TUNNEL_TO_L2, ftType: FT.MLX5_IB_UAPI_FLOW_TABLE_TYPE_NIC_RX,
    }, mlx5.decodeFlowActionCreatePacketReformatOut);
    expect(s.record<PacketReformatAction>(pr.handle)).toMatchObject({ kind: 'packet_reformat', reformatType: 0, fwId: undefined });

    const qp = await rawQp(s);
    const f = await s.call(mlx5.encodeCreateFlow, { matchValue: { matchParams: [0x0a000001] }, destQp: qp, matcher, arrFlowActions: [mh.handle, pr.handle], tag: 0x42 }, mlx5.decodeCreateFlowOut);
    const flow = s.record<RawFlow>(f.handle);
    expect(flow).toMatchObject({ kind: 'raw', tag: 0x42, flags: 0 });
    expect(flow.actions.map((a) => a.kind)).toEqual(['modify_header', 'packet_reformat']);
    expect(flow.table.key).toBe('nic_rx:3');
    await s.call(mlx5.encodeDestroyFlow, { handle: f.handle }, mlx5.decodeDestroyFlowOut);
    expect(s.state.steeringTables.size).toBe(0);
    await s.call(mlx5.encodeFlowMatcherDestroy, { handle: matcher }, mlx5.decodeFlowMatcherDestroyOut);
  });

  it('VAR_OBJ_ALLOC / DESTROY, UAR_OBJ_ALLOC / DESTROY, PP_OBJ_ALLOC / DESTROY', async () => {
    const s = await open();
    const v = await s.call(mlx5.encodeVarObjAlloc, {}, mlx5.decodeVarObjAllocOut);
    expect(v).toMatchObject({ mmapLength: 4096, pageId: 0, mmapOffset: 0x100n * 4096n });
    expect(s.record<Var>(v.handle).tlp).toBe(false);
    await s.fails(EOPNOTSUPP, mlx5.encodeVarObjAlloc, { flags: mlx5.MLX5_IB_UAPI_VAR_ALLOC_FLAGS.MLX5_IB_UAPI_VAR_ALLOC_FLAG_TLP });
    const u = await s.call(mlx5.encodeUarObjAlloc, { type: mlx5.MLX5_IB_UAPI_UAR_ALLOC_TYPE.MLX5_IB_UAPI_UAR_ALLOC_TYPE_NC }, mlx5.decodeUarObjAllocOut);
    expect(u.mmapLength).toBe(4096);
    expect(u.mmapOffset).toBe(0x101n * 4096n);
    expect(s.ctx.staticUars).not.toContain(u.pageId);
    expect(s.ctx.mmap.get(0x101n)?.what).toBe(`UAR ${u.pageId}`);

    const ctx = new Uint8Array(48);
    new DataView(ctx.buffer).setUint32(0, 25_000); // 25 Mb/s, big-endian
    const a = await s.call(mlx5.encodePpObjAlloc, { ctx, flags: 0 }, mlx5.decodePpObjAllocOut);
    const b = await s.call(mlx5.encodePpObjAlloc, { ctx, flags: 0 }, mlx5.decodePpObjAllocOut);
    const c = await s.call(mlx5.encodePpObjAlloc, { ctx, flags: mlx5.MLX5_IB_UAPI_PP_ALLOC_FLAGS.MLX5_IB_UAPI_PP_ALLOC_FLAGS_DEDICATED_INDEX }, mlx5.decodePpObjAllocOut);
    expect([a.index, b.index, c.index]).toEqual([1, 1, 2]); // shared, shared, dedicated
    await s.fails(EINVAL, mlx5.encodePpObjAlloc, { ctx: new Uint8Array(48), flags: 0 }); // rate 0

    await s.call(mlx5.encodePpObjDestroy, { handle: a.handle }, mlx5.decodePpObjDestroyOut);
    expect(s.state.rateTable.get(1)?.refs).toBe(1);
    await s.call(mlx5.encodePpObjDestroy, { handle: b.handle }, mlx5.decodePpObjDestroyOut);
    expect(s.state.rateTable.has(1)).toBe(false);
    await s.call(mlx5.encodeUarObjDestroy, { handle: u.handle }, mlx5.decodeUarObjDestroyOut);
    expect(s.ctx.mmap.has(0x101n)).toBe(false);
    await s.call(mlx5.encodeVarObjDestroy, { handle: v.handle }, mlx5.decodeVarObjDestroyOut);
    expect(s.state.varPages!.inUse).toBe(0);
  });

  it('STEERING_ANCHOR_CREATE / DESTROY: the anchor table id, shared by anchors of one priority', async () => {
    const s = await open();
    const a = await s.call(mlx5.encodeSteeringAnchorCreate, { ftType: FT.MLX5_IB_UAPI_FLOW_TABLE_TYPE_NIC_RX, priority: 2 }, mlx5.decodeSteeringAnchorCreateOut);
    const b = await s.call(mlx5.encodeSteeringAnchorCreate, { ftType: FT.MLX5_IB_UAPI_FLOW_TABLE_TYPE_NIC_RX, priority: 2 }, mlx5.decodeSteeringAnchorCreateOut);
    const c = await s.call(mlx5.encodeSteeringAnchorCreate, { ftType: FT.MLX5_IB_UAPI_FLOW_TABLE_TYPE_NIC_TX, priority: 2 }, mlx5.decodeSteeringAnchorCreateOut);
    expect(a.ftId).toBe(b.ftId);
    expect(c.ftId).not.toBe(a.ftId);
    expect(s.state.steeringTables.get('nic_rx:2')?.refs).toBe(2);
    await s.fails(EINVAL, mlx5.encodeSteeringAnchorCreate, { ftType: FT.MLX5_IB_UAPI_FLOW_TABLE_TYPE_NIC_RX, priority: 16 });
    await s.fails(EINVAL, mlx5.encodeSteeringAnchorCreate, { ftType: FT.MLX5_IB_UAPI_FLOW_TABLE_TYPE_FDB, priority: 0 });
    for (const h of [a.handle, b.handle, c.handle]) await s.call(mlx5.encodeSteeringAnchorDestroy, { handle: h }, mlx5.decodeSteeringAnchorDestroyOut);
    // The anchor table stays while the device lives, with the table it stands in front of.
    expect(s.state.steeringTables.get('nic_rx:2')).toMatchObject({ refs: 0, anchorFtId: a.ftId });
  });

  it('ran every action mlx5 adds successfully', () => {
    const ran = new Set(sessions.flatMap((s) => [...s.ran]));
    const device = createMlx5Device();
    const expected: string[] = [];
    for (const t of [...device.uapi.types.core, ...device.uapi.types.driver]) {
      if (!t) continue;
      const actions = t.id >= 0x1000 ? [...t.actions.core, ...t.actions.driver] : t.actions.driver;
      for (const a of actions) if (a) expected.push(`${t.name}.${a.name}`);
    }
    expect(expected.length).toBe(32);
    expect(expected.filter((a) => !ran.has(a))).toEqual([]);
  });
});

