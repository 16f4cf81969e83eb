/**
 * References between mlx5 objects: what holds what, EBUSY while held, release on
 * destroy, close and device removal, each object exactly once and in the spec's
 * release order; and the header's driver id.
 */
import { describe, expect, it } from 'vitest';
import * as core from '../../generated/core/index.js';
import * as mlx5 from '../../generated/mlx5/index.js';
import { RemoveReason, type RemoveReasonId } from '../../runtime/kernel/device.js';
import { EBUSY, EINVAL, EIO, EPERM } from '../../runtime/abi/errno.js';
import type { UObject } from '../../runtime/kernel/uobject.js';
import { Mlx5Event, Op, raiseDevxEvent, type DevxObj, type FlowMatcher, type SteeringAnchor } from '../../runtime/emulated/mlx5/index.js';
import { createCq, Mlx5Session, prm } from './helpers.js';

const { MLX5_IB_UAPI_FLOW_TABLE_TYPE: FT } = mlx5;

function watch(s: Mlx5Session): { type: string; id: number; reason: RemoveReasonId }[] {
  const log: { type: string; id: number; reason: RemoveReasonId }[] = [];
  s.state.onRelease = (u: UObject, reason) => log.push({ type: u.type.name, id: u.id, reason });
  return log;
}

async function matcher(s: Mlx5Session, ftType: number = FT.MLX5_IB_UAPI_FLOW_TABLE_TYPE_NIC_RX): Promise<number> {
  return (await s.call(mlx5.encodeFlowMatcherCreate, { matchMask: { matchParams: [0xffffffff] }, flowType: { elem: 'normal', value: 0 }, matchCriteria: 1, ftType }, mlx5.decodeFlowMatcherCreateOut)).handle;
}

/** A DEVX flow table, a group in it, and an entry that jumps to `toTable`. */
async function jumpEntry(s: Mlx5Session, toTable: number): Promise<{ table: number; group: number; entry: number }> {
  const ft = await s.devx(prm(Op.CREATE_FLOW_TABLE, 0x40));
  const fgCmd = prm(Op.CREATE_FLOW_GROUP, 0x40);
  fgCmd.set24(0x14, ft.out.u24(8));
  const fg = await s.devx(fgCmd);
  const fte = prm(Op.SET_FLOW_TABLE_ENTRY, 0x400);
  fte.set24(0x14, ft.out.u24(8));
  fte.set32(0x44, fg.out.u24(8));
  fte.set16(0x4e, 0x4);
  fte.set24(0x50, 1);
  fte.set8(0x340, 1); // to a flow table
  fte.set24(0x340, toTable);
  const entry = await s.devx(fte);
  return { table: ft.handle, group: fg.handle, entry: entry.handle };
}

describe('emulated mlx5 device: references', () => {
  it('a flow holds its matcher, flow actions, destination and counter; they answer EBUSY until it goes', async () => {
    const s = await Mlx5Session.open();
    const m = await matcher(s);
    const mh = await s.call(mlx5.encodeFlowActionCreateModifyHeader, { actionsPrm: new Uint8Array([0x20, 1, 0, 0, 0, 0, 0, 1]), ftType: 0 }, mlx5.decodeFlowActionCreateModifyHeaderOut);
    const tir = await s.devx(prm(Op.CREATE_TIR, 0x40));
    const counterCmd = prm(Op.ALLOC_FLOW_COUNTER, 16);
    counterCmd.set8(0x0f, 1); // a bulk of 128
    const counter = await s.devx(counterCmd, 16);
    expect(s.record<DevxObj>(counter.handle).bulk).toBe(128);
    const base = { matchValue: { matchParams: [1] }, destDevx: tir.handle, matcher: m, arrFlowActions: [mh.handle], arrCountersDevx: [counter.handle] };
    await s.fails(EINVAL, mlx5.encodeCreateFlow, { ...base, arrCountersDevxOffset: [128] });
    const f = await s.call(mlx5.encodeCreateFlow, { ...base, arrCountersDevxOffset: [5] }, mlx5.decodeCreateFlowOut);
    expect(s.record<FlowMatcher>(m).usecnt).toBe(1);
    await s.fails(EBUSY, mlx5.encodeFlowMatcherDestroy, { handle: m });
    await s.fails(EBUSY, mlx5.encodeFlowActionDestroy, { handle: mh.handle });
    await s.fails(EBUSY, mlx5.encodeDevxObjDestroy, { handle: tir.handle });
    await s.fails(EBUSY, mlx5.encodeDevxObjDestroy, { handle: counter.handle });
    await s.call(mlx5.encodeFlowDestroy, { handle: f.handle }, mlx5.decodeFlowDestroyOut); // the core action destroys raw flows too
    await s.call(mlx5.encodeFlowMatcherDestroy, { handle: m }, mlx5.decodeFlowMatcherDestroyOut);
    await s.call(mlx5.encodeFlowActionDestroy, { handle: mh.handle }, mlx5.decodeFlowActionDestroyOut);
    await s.call(mlx5.encodeDevxObjDestroy, { handle: tir.handle }, mlx5.decodeDevxObjDestroyOut);
    await s.call(mlx5.encodeDevxObjDestroy, { handle: counter.handle }, mlx5.decodeDevxObjDestroyOut);
    expect(s.device.idr.size).toBe(0);
  });

  it('checks a flow\'s destinations against its table', async () => {
    const s = await Mlx5Session.open();
    const rx = await matcher(s);
    const tx = await matcher(s, FT.MLX5_IB_UAPI_FLOW_TABLE_TYPE_NIC_TX);
    const tir = await s.devx(prm(Op.CREATE_TIR, 0x40));
    const tis = await s.devx(prm(Op.CREATE_TIS, 0x40));
    const mv = { matchParams: [1] };
    await s.fails(EINVAL, mlx5.encodeCreateFlow, { matchValue: mv, matcher: rx }); // NIC RX needs a destination
    await s.fails(EINVAL, mlx5.encodeCreateFlow, { matchValue: mv, matcher: rx, destDevx: tis.handle }); // a TIS is no destination
    await s.fails(EINVAL, mlx5.encodeCreateFlow, { matchValue: mv, matcher: rx, destDevx: tir.handle, flags: 3 });
    await s.fails(EINVAL, mlx5.encodeCreateFlow, { matchValue: mv, matcher: rx, destDevx: tir.handle, tag: 1 << 24 });
    await s.fails(EINVAL, mlx5.encodeCreateFlow, { matchValue: mv, matcher: tx, destDevx: tir.handle });
    const drop = await s.call(mlx5.encodeCreateFlow, { matchValue: mv, matcher: rx, flags: 2 }, mlx5.decodeCreateFlowOut);
    const toPort = await s.call(mlx5.encodeCreateFlow, { matchValue: mv, matcher: tx }, mlx5.decodeCreateFlowOut);
    expect(s.state.steeringTables.get('nic_rx:0')?.refs).toBe(1);
    expect(s.state.steeringTables.get('nic_tx:0')?.refs).toBe(1);
    s.state.mayUseRawPacket = () => false;
    await s.fails(EPERM, mlx5.encodeCreateFlow, { matchValue: mv, matcher: rx, flags: 2 });
    for (const h of [drop.handle, toPort.handle]) await s.call(mlx5.encodeDestroyFlow, { handle: h }, mlx5.decodeDestroyFlowOut);
    expect(s.state.steeringTables.size).toBe(0);
  });

  it('an anchor holds its table; a DEVX entry that jumps to the anchor table holds the anchor', async () => {
    const s = await Mlx5Session.open();
    const a = await s.call(mlx5.encodeSteeringAnchorCreate, { ftType: FT.MLX5_IB_UAPI_FLOW_TABLE_TYPE_NIC_RX, priority: 1 }, mlx5.decodeSteeringAnchorCreateOut);
    const table = s.record<SteeringAnchor>(a.handle).table;
    expect(table.refs).toBe(1);
    const jump = await jumpEntry(s, a.ftId);
    expect(s.record<SteeringAnchor>(a.handle).usecnt).toBe(1);
    await s.fails(EBUSY, mlx5.encodeSteeringAnchorDestroy, { handle: a.handle });
    await s.call(mlx5.encodeDevxObjDestroy, { handle: jump.entry }, mlx5.decodeDevxObjDestroyOut);
    await s.call(mlx5.encodeSteeringAnchorDestroy, { handle: a.handle }, mlx5.decodeSteeringAnchorDestroyOut);
    expect(table.refs).toBe(0);
    await s.fails(EINVAL, mlx5.encodeDevxObjCreate, { cmdIn: prm(Op.SET_FLOW_TABLE_ENTRY, 16).bytes, cmdOut: 16 }); // no table 0
  });

  it('close releases every object once, holders first, in the spec\'s release order', async () => {
    const s = await Mlx5Session.open();
    const log = watch(s);
    const a = await s.call(mlx5.encodeSteeringAnchorCreate, { ftType: 0, priority: 0 }, mlx5.decodeSteeringAnchorCreateOut);
    await jumpEntry(s, a.ftId);
    const ring = await s.umem(8192);
    const dbr = await s.umem(4096);
    const cq = await s.devx(createCq({ logSize: 4, eqn: 8, uarPage: s.ctx.staticUars[0]!, ring: ring.id, dbr: dbr.id }));
    const { handle: ch } = await s.call(mlx5.encodeDevxAsyncEventFdAlloc, { flags: 0 }, mlx5.decodeDevxAsyncEventFdAllocOut);
    await s.call(mlx5.encodeDevxSubscribeEvent, { fdHandle: ch, objHandle: cq.handle, typeNumList: [Mlx5Event.COMP] }, mlx5.decodeDevxSubscribeEventOut);
    await s.call(mlx5.encodeDevxAsyncCmdFdAlloc, {}, mlx5.decodeDevxAsyncCmdFdAllocOut);
    const m = await matcher(s);
    const tir = await s.devx(prm(Op.CREATE_TIR, 0x40));
    await s.call(mlx5.encodeCreateFlow, { matchValue: { matchParams: [1] }, destDevx: tir.handle, matcher: m }, mlx5.decodeCreateFlowOut);
    await s.call(mlx5.encodeUarObjAlloc, { type: 1 }, mlx5.decodeUarObjAllocOut);
    await s.call(mlx5.encodeVarObjAlloc, {}, mlx5.decodeVarObjAllocOut);
    const ctx = new Uint8Array(48);
    new DataView(ctx.buffer).setUint32(0, 5000);
    await s.call(mlx5.encodePpObjAlloc, { ctx, flags: 0 }, mlx5.decodePpObjAllocOut);
    await s.call(mlx5.encodeFlowActionCreatePacketReformat, { type: 1, ftType: 1, dataBuf: new Uint8Array(50) }, mlx5.decodeFlowActionCreatePacketReformatOut);
    await s.call(mlx5.encodeDmAlloc, { length: 64, alignment: 0, reqType: mlx5.MLX5_IB_UAPI_DM_TYPE.MLX5_IB_UAPI_DM_TYPE_HEADER_MODIFY_SW_ICM }, mlx5.decodeDmAllocOut);
    const cqRecord = s.record<DevxObj>(cq.handle);
    const objects = [...s.file.objects].map((u) => `${u.type.name}:${u.id}`);
    expect(objects.length).toBe(17);

    await s.process.close(s.fd);
    expect(log.map((e) => `${e.type}:${e.id}`).sort()).toEqual(objects.sort());
    expect(log.every((e) => e.reason === RemoveReason.CLOSE)).toBe(true);
    const order = s.device.uapi.releaseOrder.map((id) => s.device.type(id)!.name);
    const ranks = log.map((e) => order.indexOf(e.type));
    expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
    expect(s.device.idr.size).toBe(0);
    expect(s.state.liveObjects()).toEqual(new Map());
    expect(s.state.devxObjects.size + s.state.umems.size + s.state.eventChannels.size + s.state.rateTable.size).toBe(0);
    expect(raiseDevxEvent(s.state, Mlx5Event.COMP, cqRecord)).toBe(0);
  });

  it('device removal releases everything; destroy still works and new commands answer EIO', async () => {
    const s = await Mlx5Session.open();
    const log = watch(s);
    const ring = await s.umem(8192);
    const dbr = await s.umem(4096);
    const cq = await s.devx(createCq({ logSize: 4, eqn: 8, uarPage: s.ctx.staticUars[0]!, ring: ring.id, dbr: dbr.id }));
    await s.device.remove();
    expect(log.map((e) => e.type)).toEqual(['DEVX_OBJ', 'DEVX_UMEM', 'DEVX_UMEM']);
    expect(log.every((e) => e.reason === RemoveReason.DRIVER_REMOVE)).toBe(true);
    await s.fails(EIO, mlx5.encodeUarObjAlloc, { type: 1 });
    await s.call(mlx5.encodeDevxObjDestroy, { handle: cq.handle }, mlx5.decodeDevxObjDestroyOut);
    await s.process.close(s.fd);
    expect(log).toHaveLength(3);
    expect(s.device.idr.size).toBe(0);
  });

  it('takes only headers of driver id 1: a core encoder\'s buffer (driver id 0) answers EINVAL', async () => {
    const s = await Mlx5Session.open();
    await s.fails(EINVAL, core.encodeQueryContext, { numCompVectors: true });
    await s.fails(EINVAL, core.encodeAsyncEventAlloc, {});
    expect(s.buf.view.getUint32(16, true)).toBe(0);
    await s.call(mlx5.encodeQueryContext, { numCompVectors: true }, mlx5.decodeQueryContextOut);
    expect(s.buf.view.getUint32(16, true)).toBe(1);
  });
});
