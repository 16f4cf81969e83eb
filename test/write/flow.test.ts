/**
 * write() commands of steering rules: EX_CREATE_FLOW (its checks, the specs and their
 * conversion) and EX_DESTROY_FLOW.
 */
import { describe, expect, it } from 'vitest';
import * as core from '../../generated/core/index.js';
import { IB_UVERBS_FLOW_ACTION_ESP_FLAGS as ESPF, IB_UVERBS_QP_TYPE as QPT } from '../../generated/core/enums.js';
import * as S from '../../generated/core/structs.js';
import { EBUSY, EINVAL, ENOENT, ENOSPC, EOPNOTSUPP, EPERM } from '../../runtime/abi/errno.js';
import { coreState, type Counters, type Flow, type FlowAction, type Qp } from '../../runtime/emulated/core/index.js';
import { IB_FLOW_ATTR, IB_FLOW_ATTR_FLAGS, IB_FLOW_SPEC } from '../../runtime/emulated/core/write/flow.js';
import { exDestroy, handleReq, qpOn } from './objects.js';
import { concat, pad8, struct, WriteRig } from './rig.js';

const hdr = (type: number, size: number, reserved = 0) => ({ type, size, reserved });
/** A u32 the header declares __be32 (flow label, VNI): the value whose little-endian bytes are `x` in network order. */
const be32 = (x: number) => ((x & 0xff) << 24 | (x & 0xff00) << 8 | (x >>> 8) & 0xff00 | x >>> 24) >>> 0;
const mac = (...b: number[]) => new Uint8Array(b);

const eth = (type: number = IB_FLOW_SPEC.ETH) =>
  struct(S.IB_UVERBS_FLOW_SPEC_ETH_SIZE, S.encodeIbUverbsFlowSpecEth, {
    hdr: hdr(type, S.IB_UVERBS_FLOW_SPEC_ETH_SIZE),
    val: { dstMac: mac(0, 1, 2, 3, 4, 5), etherType: 0x0008 },
    mask: { dstMac: mac(255, 255, 255, 255, 255, 255), etherType: 0xffff },
  });
const ipv4 = () =>
  struct(S.IB_UVERBS_FLOW_SPEC_IPV4_SIZE, S.encodeIbUverbsFlowSpecIpv4, { hdr: hdr(IB_FLOW_SPEC.IPV4, 32), val: { dstIp: 0x0a00_0001, proto: 17 }, mask: { dstIp: 0xffff_ffff, proto: 0xff } });
const udp = (type: number = IB_FLOW_SPEC.UDP) =>
  struct(S.IB_UVERBS_FLOW_SPEC_TCP_UDP_SIZE, S.encodeIbUverbsFlowSpecTcpUdp, { hdr: hdr(type, 16), val: { dstPort: 0xb712 }, mask: { dstPort: 0xffff } });
const ipv6 = (flowLabel: number) =>
  struct(S.IB_UVERBS_FLOW_SPEC_IPV6_SIZE, S.encodeIbUverbsFlowSpecIpv6, { hdr: hdr(IB_FLOW_SPEC.IPV6, 88), val: { flowLabel: be32(flowLabel) }, mask: { flowLabel: 0 } });
const vxlan = (tunnelId: number, type: number = IB_FLOW_SPEC.VXLAN_TUNNEL) =>
  struct(S.IB_UVERBS_FLOW_SPEC_TUNNEL_SIZE, S.encodeIbUverbsFlowSpecTunnel, { hdr: hdr(type, 16), val: { tunnelId: be32(tunnelId) }, mask: { tunnelId: 0 } });
const tag = (tagId: number, size = 16) => struct(16, S.encodeIbUverbsFlowSpecActionTag, { hdr: hdr(IB_FLOW_SPEC.ACTION_TAG, size), tagId });
const drop = () => struct(8, S.encodeIbUverbsFlowSpecActionDrop, { hdr: hdr(IB_FLOW_SPEC.ACTION_DROP, 8) });
const handleSpec = (type: number, handle: number, size = 16) => struct(16, S.encodeIbUverbsFlowSpecActionHandle, { hdr: hdr(type, size), handle });
/** A header spec with `bytes` bytes of value and as many of mask after the 8-byte header. */
function rawSpec(type: number, half: number, fill: (b: Uint8Array) => void = () => {}): Uint8Array {
  const b = new Uint8Array(8 + 2 * half);
  const v = new DataView(b.buffer);
  v.setUint32(0, type, true);
  v.setUint16(4, b.length, true);
  fill(b);
  return b;
}

interface Rule {
  specs?: Uint8Array[];
  attr?: S.IbUverbsFlowAttrInit;
  compMask?: number;
  qp: number;
}

/** ib_uverbs_create_flow, the specs, padded to 8 bytes. */
function flowReq({ specs = [], attr = {}, compMask = 0, qp }: Rule): { req: Uint8Array } {
  const body = concat(...specs);
  const head = struct(S.IB_UVERBS_CREATE_FLOW_SIZE, S.encodeIbUverbsCreateFlow, {
    compMask, qpHandle: qp, flowAttr: { type: IB_FLOW_ATTR.NORMAL, size: body.length, numOfSpecs: specs.length, port: 1, ...attr },
  });
  return { req: pad8(concat(head, body)) };
}

describe('EX_CREATE_FLOW', () => {
  it('a rule of header filters and actions, steering to a UD QP that it holds', async () => {
    const r = await WriteRig.open();
    const { qp } = await qpOn(r);
    const { handle: counters } = await r.session.call(core.encodeCountersCreate, {}, core.decodeCountersCreateOut);
    const specs = [eth(), ipv4(), udp(IB_FLOW_SPEC.UDP | IB_FLOW_SPEC.INNER), tag(0x77), handleSpec(IB_FLOW_SPEC.ACTION_COUNT, counters)];
    const { flowHandle } = await r.call('EX_CREATE_FLOW', flowReq({ specs, qp, attr: { priority: 3 } }), S.decodeIbUverbsCreateFlowResp);
    const f = r.record<Flow>(flowHandle);
    expect(f.qp).toBe(r.record<Qp>(qp));
    expect(f.match).toMatchObject({ attrType: IB_FLOW_ATTR.NORMAL, port: 1, flags: 0 });
    expect(f.match!.filters.map((x) => x.specType)).toEqual([IB_FLOW_SPEC.ETH, IB_FLOW_SPEC.IPV4, IB_FLOW_SPEC.UDP | IB_FLOW_SPEC.INNER]);
    expect([...f.match!.filters[0]!.val.subarray(0, 6)]).toEqual([0, 1, 2, 3, 4, 5]);
    expect(f.match!.filters[1]!.mask.length).toBe(12);
    expect(f).toMatchObject({ tag: 0x77, drop: false, priority: 3, counters: r.record<Counters>(counters) });
    expect(r.record<Counters>(counters).description).toEqual(['packets', 'bytes']);
    f.packets += 5n;
    expect((await r.session.call(core.encodeCountersRead, { handle: counters, buff: 2 }, core.decodeCountersReadOut)).buff).toEqual([5n, 0n]);
    await r.fails(EBUSY, 'DESTROY_QP', { req: handleReq(16, 8, qp) });
    r.ok(await r.write('EX_DESTROY_FLOW', exDestroy(flowHandle)));
    expect(r.record<Qp>(qp).usecnt).toBe(0);
    expect(r.record<Counters>(counters).usecnt).toBe(0);
  });

  it('a drop rule with a flow action object, on a RAW_PACKET QP', async () => {
    const r = await WriteRig.open();
    const { qp } = await qpOn(r, QPT.IB_UVERBS_QPT_RAW_PACKET);
    const { handle: fa } = await r.session.call(core.encodeFlowActionEspCreate, {
      attrs: { spi: 1, seq: 1, flags: ESPF.IB_UVERBS_FLOW_ACTION_ESP_FLAGS_DECRYPT },
      keymat: { elem: 'aes_gcm' as const, value: { ivAlgo: 0, salt: 1, icvLen: 16, keyLen: 16, aesKey: [1, 2, 3, 4] } },
    }, core.decodeFlowActionEspCreateOut);
    const { flowHandle } = await r.call('EX_CREATE_FLOW', flowReq({ specs: [drop(), handleSpec(IB_FLOW_SPEC.ACTION_HANDLE, fa)], qp, attr: { type: IB_FLOW_ATTR.SNIFFER } }), S.decodeIbUverbsCreateFlowResp);
    expect(r.record<Flow>(flowHandle)).toMatchObject({ drop: true, actions: [r.record<FlowAction>(fa)], match: { attrType: IB_FLOW_ATTR.SNIFFER, filters: [] } });
    await r.session.fails(EBUSY, core.encodeFlowActionDestroy, { handle: fa });
  });

  it('the rule\'s own checks, before anything is allocated', async () => {
    const r = await WriteRig.open();
    const { qp } = await qpOn(r);
    await r.fails(EINVAL, 'EX_CREATE_FLOW', flowReq({ qp, compMask: 1 }));
    await r.fails(EINVAL, 'EX_CREATE_FLOW', flowReq({ qp, attr: { flags: IB_FLOW_ATTR_FLAGS.RESERVED } }));
    await r.fails(EINVAL, 'EX_CREATE_FLOW', flowReq({ qp, attr: { type: IB_FLOW_ATTR.ALL_DEFAULT, flags: IB_FLOW_ATTR_FLAGS.DONT_TRAP } }));
    await r.fails(EINVAL, 'EX_CREATE_FLOW', flowReq({ qp, specs: new Array<Uint8Array>(11).fill(drop()) }));
    await r.fails(EINVAL, 'EX_CREATE_FLOW', flowReq({ qp, specs: [drop()], attr: { size: 89 } }));
    await r.fails(EINVAL, 'EX_CREATE_FLOW', flowReq({ qp, attr: { reserved: new Uint8Array([0, 1]) } }));
    // The specs the attribute announces must be there (ENOSPC); what follows them must be zero (EOPNOTSUPP).
    await r.fails(ENOSPC, 'EX_CREATE_FLOW', flowReq({ qp, specs: [drop()], attr: { size: 40 } }));
    const req = flowReq({ qp, specs: [tag(1)] }).req;
    await r.fails(EOPNOTSUPP, 'EX_CREATE_FLOW', { req: concat(req, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1])) });
    coreState(r.device).mayUseRawPacket = () => false;
    await r.fails(EPERM, 'EX_CREATE_FLOW', flowReq({ qp }));
    expect(coreState(r.device).count('FLOW')).toBe(0);
  });

  it('the port (EINVAL), the QP (EINVAL, and only UD or RAW_PACKET), the rule type', async () => {
    const r = await WriteRig.open();
    const ud = await qpOn(r);
    const rc = await qpOn(r, QPT.IB_UVERBS_QPT_RC);
    await r.fails(EINVAL, 'EX_CREATE_FLOW', flowReq({ qp: ud.qp, attr: { port: 3 } }));
    await r.fails(EINVAL, 'EX_CREATE_FLOW', flowReq({ qp: ud.pd }));
    await r.fails(EINVAL, 'EX_CREATE_FLOW', flowReq({ qp: 999 }));
    await r.fails(EINVAL, 'EX_CREATE_FLOW', flowReq({ qp: rc.qp }));
    await r.fails(EINVAL, 'EX_CREATE_FLOW', flowReq({ qp: ud.qp, attr: { type: 4 } }));
    expect([coreState(r.device).count('FLOW'), r.record<Qp>(ud.qp).usecnt]).toEqual([0, 0]);
    const bare = await WriteRig.open({ context: false });
    await bare.fails(EINVAL, 'EX_CREATE_FLOW', flowReq({ qp: 0 }));
  });

  it('each spec: reserved, sizes, filter rules and action handles as the kernel converts them', async () => {
    const r = await WriteRig.open();
    const { qp, pd } = await qpOn(r);
    const bad: [number, Uint8Array[]][] = [
      [EINVAL, [struct(8, S.encodeIbUverbsFlowSpecActionDrop, { hdr: hdr(IB_FLOW_SPEC.ACTION_DROP, 8, 1) })]],
      [EINVAL, [tag(1, 12)]],
      [EOPNOTSUPP, [handleSpec(IB_FLOW_SPEC.ACTION_HANDLE, 0, 12)]],
      [EINVAL, [handleSpec(IB_FLOW_SPEC.ACTION_HANDLE, pd)]],
      [EINVAL, [handleSpec(IB_FLOW_SPEC.ACTION_COUNT, pd)]],
      [EINVAL, [handleSpec(IB_FLOW_SPEC.ACTION_COUNT, 0, 8)]],
      [EINVAL, [handleSpec(0x1004, 0)]],
      [EINVAL, [rawSpec(IB_FLOW_SPEC.IB, 16)]],
      [EINVAL, [rawSpec(IB_FLOW_SPEC.ETH, 6)]],
      [EINVAL, [rawSpec(IB_FLOW_SPEC.ETH, 0)]],
      [EINVAL, [rawSpec(IB_FLOW_SPEC.TCP, 8, (b) => (b[8 + 8 + 6] = 1))]],
      [EINVAL, [vxlan(1, IB_FLOW_SPEC.VXLAN_TUNNEL | IB_FLOW_SPEC.INNER)]],
      [EINVAL, [vxlan(0x0100_0000)]],
      [EINVAL, [ipv6(0x0010_0000)]],
    ];
    for (const [errno, specs] of bad) await r.fails(errno, 'EX_CREATE_FLOW', flowReq({ qp, specs }));
    // A filter longer than the kernel's with a zero tail is cut to the kernel's size.
    const { flowHandle } = await r.call('EX_CREATE_FLOW', flowReq({ qp, specs: [rawSpec(IB_FLOW_SPEC.TCP, 8, (b) => (b[8] = 0x12)), vxlan(0x00ff_ffff), ipv6(0x000f_ffff)] }), S.decodeIbUverbsCreateFlowResp);
    expect(r.record<Flow>(flowHandle).match!.filters.map((f) => [f.specType, f.val.length])).toEqual([[IB_FLOW_SPEC.TCP, 4], [IB_FLOW_SPEC.VXLAN_TUNNEL, 4], [IB_FLOW_SPEC.IPV6, 40]]);
    // Specs must add up to the size given and be as many as announced.
    await r.fails(EINVAL, 'EX_CREATE_FLOW', flowReq({ qp, specs: [drop(), drop()], attr: { numOfSpecs: 1 } }));
    await r.fails(EINVAL, 'EX_CREATE_FLOW', flowReq({ qp, specs: [drop()], attr: { numOfSpecs: 2 } }));
    expect(coreState(r.device).count('FLOW')).toBe(1);
  });

  it('a counters object binds to one rule: a second COUNT action, or counters already bound, answer EINVAL', async () => {
    const r = await WriteRig.open();
    const { qp } = await qpOn(r);
    const { handle: c1 } = await r.session.call(core.encodeCountersCreate, {}, core.decodeCountersCreateOut);
    const { handle: c2 } = await r.session.call(core.encodeCountersCreate, {}, core.decodeCountersCreateOut);
    await r.fails(EINVAL, 'EX_CREATE_FLOW', flowReq({ qp, specs: [handleSpec(IB_FLOW_SPEC.ACTION_COUNT, c1), handleSpec(IB_FLOW_SPEC.ACTION_COUNT, c2)] }));
    r.ok(await r.write('EX_CREATE_FLOW', flowReq({ qp, specs: [handleSpec(IB_FLOW_SPEC.ACTION_COUNT, c1)] })));
    await r.fails(EINVAL, 'EX_CREATE_FLOW', flowReq({ qp, specs: [handleSpec(IB_FLOW_SPEC.ACTION_COUNT, c1)] }));
  });
});

describe('EX_DESTROY_FLOW', () => {
  it('comp_mask non-zero answers EINVAL; bad handles ENOENT or EINVAL', async () => {
    const r = await WriteRig.open();
    const { qp, pd } = await qpOn(r);
    const { flowHandle } = await r.call('EX_CREATE_FLOW', flowReq({ qp }), S.decodeIbUverbsCreateFlowResp);
    await r.fails(EINVAL, 'EX_DESTROY_FLOW', exDestroy(flowHandle, 1));
    await r.fails(EINVAL, 'EX_DESTROY_FLOW', exDestroy(pd));
    r.ok(await r.write('EX_DESTROY_FLOW', exDestroy(flowHandle)));
    await r.fails(ENOENT, 'EX_DESTROY_FLOW', exDestroy(flowHandle));
  });
});
