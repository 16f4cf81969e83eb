/**
 * write() commands of steering rules: EX_CREATE_FLOW and EX_DESTROY_FLOW. A rule is
 * ib_uverbs_create_flow followed by flow_attr.size bytes of specs: header filters
 * (each a value and a mask of the same size) and actions (tag, drop, a flow action
 * object, a counters object), converted as ib_uverbs_ex_create_flow does.
 */
import { IB_UVERBS_QP_TYPE as QPT } from '../../../../generated/core/enums.js';
import { UVERBS_OBJECT } from '../../../../generated/core/ids.js';
import { decodeIbUverbsCreateFlow, decodeIbUverbsDestroyFlow, encodeIbUverbsCreateFlowResp, IB_UVERBS_FLOW_SPEC_IPV6_SIZE } from '../../../../generated/core/structs.js';
import type { InputBytes } from '../../../process/user-memory.js';
import type { WriteHandler } from '../../../kernel/device.js';
import { EINVAL, EOPNOTSUPP, EPERM, fail } from '../../../abi/errno.js';
import type { WriteBundle } from '../../../kernel/write-bundle.js';
import type { FlowAction } from '../flow-action.js';
import { newFlow, type CounterKind, type Counters, type FlowFilter } from '../flow.js';
import { portOf } from '../port.js';
import type { Qp } from '../qp.js';
import type { CoreState } from '../state.js';
import { destroyCommand, readRecord, typeOf } from './common.js';

/** The kernel's ib_flow_spec_type: headers below ACTION_TAG, actions from it. */
export const IB_FLOW_SPEC = {
  ETH: 0x20, IB: 0x22, IPV4: 0x30, IPV6: 0x31, ESP: 0x34, TCP: 0x40, UDP: 0x41, VXLAN_TUNNEL: 0x50, GRE: 0x51, MPLS: 0x60,
  /** Or-ed into a header's type: the header inside a tunnel. */
  INNER: 0x100,
  ACTION_TAG: 0x1000, ACTION_DROP: 0x1001, ACTION_HANDLE: 0x1002, ACTION_COUNT: 0x1003,
} as const;
/** The kernel's ib_flow_attr_type. */
export const IB_FLOW_ATTR = { NORMAL: 0, ALL_DEFAULT: 1, MC_DEFAULT: 2, SNIFFER: 3 } as const;
/** The kernel's ib_flow_flags; RESERVED and above are refused. */
export const IB_FLOW_ATTR_FLAGS = { DONT_TRAP: 1 << 1, EGRESS: 1 << 2, RESERVED: 1 << 3 } as const;
/** IB_FLOW_SPEC_SUPPORT_LAYERS: the most specs a rule may have. */
export const IB_FLOW_SPEC_SUPPORT_LAYERS = 10;

/** sizeof(struct ib_uverbs_flow_spec_hdr), and the fixed sizes of the action specs. */
const SPEC_HDR = 8;
const ACTION_TAG_SIZE = 16;
const ACTION_DROP_SIZE = 8;
const ACTION_HANDLE_SIZE = 16;
const ACTION_COUNT_SIZE = 16;
/** sizeof(union ib_uverbs_flow_spec): its largest member, the IPv6 spec. */
const MAX_SPEC_SIZE = IB_UVERBS_FLOW_SPEC_IPV6_SIZE;

/** The size of the kernel's filter of each header (ib_flow_*_filter), which bounds what a spec's value and mask may carry. */
const FILTER_SIZE = new Map<number, number>([
  [IB_FLOW_SPEC.ETH, 16], [IB_FLOW_SPEC.IPV4, 12], [IB_FLOW_SPEC.IPV6, 40], [IB_FLOW_SPEC.TCP, 4], [IB_FLOW_SPEC.UDP, 4],
  [IB_FLOW_SPEC.VXLAN_TUNNEL, 4], [IB_FLOW_SPEC.ESP, 8], [IB_FLOW_SPEC.GRE, 8], [IB_FLOW_SPEC.MPLS, 4],
]);
/** Where the 20-bit flow label sits in an IPv6 filter, and the 24-bit VNI in a VXLAN one (both big-endian). */
const IPV6_FLOW_LABEL = 32;
const VXLAN_TUNNEL_ID = 0;

/** What the core device counts for a counters object bound by a COUNT action: packets, then bytes. */
const COUNT_ACTION_DESCRIPTION: readonly CounterKind[] = ['packets', 'bytes'];

/** What the specs of a rule add up to. */
interface Specs {
  readonly filters: FlowFilter[];
  tag: number | undefined;
  drop: boolean;
  readonly actions: FlowAction[];
  counters: Counters | undefined;
}

function bytes(x: InputBytes, at: number, len: number): Uint8Array {
  return new Uint8Array(x.view.buffer, x.view.byteOffset + x.offset + at, len).slice();
}

/** A big-endian u32 at `at` of a filter, 0 when the filter given is shorter (the kernel's copy is zero-filled). */
function be32(filter: Uint8Array, at: number): number {
  return filter.length >= at + 4 ? new DataView(filter.buffer).getUint32(at, false) : 0;
}

/**
 * kern_spec_to_ib_spec_filter: value then mask, each half of what follows the header
 * (a multiple of 4, else EINVAL); beyond the kernel's filter the mask must be zero
 * (EINVAL) and is cut off; an empty filter, an unknown or inner-VXLAN header, a flow
 * label beyond 20 bits or a VNI beyond 24 bits are EINVAL.
 */
function headerFilter(spec: InputBytes, specType: number, size: number): FlowFilter {
  if (size < SPEC_HDR) fail(EINVAL, `a ${size}-byte spec is shorter than its header`);
  const half = Math.floor((size - SPEC_HDR) / 2);
  if (half % 4 !== 0) fail(EINVAL, `a filter of ${half} bytes is not a multiple of 4`);
  if (specType === (IB_FLOW_SPEC.INNER | IB_FLOW_SPEC.VXLAN_TUNNEL)) fail(EINVAL, 'a VXLAN header cannot be an inner one');
  const header = specType & ~IB_FLOW_SPEC.INNER;
  const full = FILTER_SIZE.get(header);
  if (full === undefined) fail(EINVAL, `spec type 0x${specType.toString(16)} is no header the kernel filters on`);
  const maskAt = SPEC_HDR + half;
  for (let k = full; k < half; k++) {
    if (spec.view.getUint8(spec.offset + maskAt + k) !== 0) fail(EINVAL, `the mask of spec type 0x${specType.toString(16)} sets byte ${k}, beyond the ${full}-byte filter`);
  }
  const len = Math.min(half, full);
  if (len <= 0) fail(EINVAL, `spec type 0x${specType.toString(16)} has an empty filter`);
  const f: FlowFilter = { specType, val: bytes(spec, SPEC_HDR, len), mask: bytes(spec, maskAt, len) };
  if (header === IB_FLOW_SPEC.IPV6 && (be32(f.val, IPV6_FLOW_LABEL) >= 1 << 20 || be32(f.mask, IPV6_FLOW_LABEL) >= 1 << 20)) fail(EINVAL, 'an IPv6 flow label has 20 bits');
  if (header === IB_FLOW_SPEC.VXLAN_TUNNEL && (be32(f.val, VXLAN_TUNNEL_ID) >= 1 << 24 || be32(f.mask, VXLAN_TUNNEL_ID) >= 1 << 24)) fail(EINVAL, 'a VXLAN network id has 24 bits');
  return f;
}

/**
 * kern_spec_to_ib_spec_action: each action spec has its fixed size (EINVAL, or
 * EOPNOTSUPP for a flow action handle); flow action and counters handles are looked up
 * (EINVAL). An unknown action is EINVAL; so is a second counters object, which the
 * device cannot count a rule with.
 */
function action(wb: WriteBundle, out: Specs, spec: InputBytes, specType: number, size: number): void {
  const handle = (): number => spec.view.getUint32(spec.offset + SPEC_HDR, true);
  switch (specType) {
    case IB_FLOW_SPEC.ACTION_TAG:
      if (size !== ACTION_TAG_SIZE) fail(EINVAL, `a tag action is ${ACTION_TAG_SIZE} bytes, not ${size}`);
      out.tag = handle();
      return;
    case IB_FLOW_SPEC.ACTION_DROP:
      if (size !== ACTION_DROP_SIZE) fail(EINVAL, `a drop action is ${ACTION_DROP_SIZE} bytes, not ${size}`);
      out.drop = true;
      return;
    case IB_FLOW_SPEC.ACTION_HANDLE:
      if (size !== ACTION_HANDLE_SIZE) fail(EOPNOTSUPP, `a flow action handle is ${ACTION_HANDLE_SIZE} bytes, not ${size}`);
      out.actions.push(readRecord<FlowAction>(wb, UVERBS_OBJECT.FLOW_ACTION, handle(), 'FLOW_ACTION'));
      return;
    case IB_FLOW_SPEC.ACTION_COUNT: {
      if (size !== ACTION_COUNT_SIZE) fail(EINVAL, `a count action is ${ACTION_COUNT_SIZE} bytes, not ${size}`);
      const c = readRecord<Counters>(wb, UVERBS_OBJECT.COUNTERS, handle(), 'COUNTERS');
      if (out.counters) fail(EINVAL, 'a rule binds one counters object');
      out.counters = c;
      return;
    }
    default:
      fail(EINVAL, `spec type 0x${specType.toString(16)} is no action`);
  }
}

/**
 * The specs loop of ib_uverbs_ex_create_flow: each spec's reserved field must be 0
 * (EINVAL); the specs must fill `size` exactly and be `count` in number (EINVAL).
 */
function parseSpecs(wb: WriteBundle, specs: InputBytes | undefined, count: number): Specs {
  const out: Specs = { filters: [], tag: undefined, drop: false, actions: [], counters: undefined };
  let left = specs?.len ?? 0;
  let at = 0;
  let i = 0;
  while (specs && i < count && left >= SPEC_HDR) {
    const o = specs.offset + at;
    const specType = specs.view.getUint32(o, true);
    const size = specs.view.getUint16(o + 4, true);
    if (left < size) break;
    if (specs.view.getUint16(o + 6, true) !== 0) fail(EINVAL, `spec ${i} has a non-zero reserved field`);
    const spec = { view: specs.view, offset: o, len: size };
    if (specType >= IB_FLOW_SPEC.ACTION_TAG) action(wb, out, spec, specType, size);
    else out.filters.push(headerFilter(spec, specType, size));
    left -= size;
    at += size;
    i++;
  }
  if (left !== 0 || i !== count) fail(EINVAL, `${i} of ${count} specs fill the rule, ${left} bytes are left`);
  return out;
}

/** The write() handlers of steering rules, over `s`. */
export function flowWriteHandlers(s: CoreState): Record<'writeExCreateFlow' | 'writeExDestroyFlow', WriteHandler> {
  return {
    /**
     * ib_uverbs_ex_create_flow: comp_mask (EINVAL), CAP_NET_RAW (EPERM), the flags, the
     * don't-trap flag on a default rule, the number and total size of specs and the
     * reserved bytes (EINVAL); the specs (ENOSPC when the request is shorter, EOPNOTSUPP
     * for non-zero bytes after them); then the object, the port (EINVAL), the QP
     * (EINVAL; UD or RAW_PACKET only, else EINVAL), each spec, and the device's rule
     * (a rule type beyond sniffer is EINVAL).
     */
    writeExCreateFlow(wb) {
      const { cmd, rest } = wb.requestStart(decodeIbUverbsCreateFlow);
      const a = cmd.flowAttr;
      if (cmd.compMask !== 0) fail(EINVAL, `comp_mask 0x${cmd.compMask.toString(16)} is not 0`);
      if (!s.mayUseRawPacket(wb.file.process)) fail(EPERM, 'steering rules need CAP_NET_RAW');
      if (a.flags >= IB_FLOW_ATTR_FLAGS.RESERVED) fail(EINVAL, `flow flags 0x${a.flags.toString(16)} have reserved bits`);
      if ((a.flags & IB_FLOW_ATTR_FLAGS.DONT_TRAP) !== 0 && (a.type === IB_FLOW_ATTR.ALL_DEFAULT || a.type === IB_FLOW_ATTR.MC_DEFAULT)) {
        fail(EINVAL, 'a default rule cannot be marked do not trap');
      }
      if (a.numOfSpecs > IB_FLOW_SPEC_SUPPORT_LAYERS) fail(EINVAL, `${a.numOfSpecs} specs, at most ${IB_FLOW_SPEC_SUPPORT_LAYERS}`);
      if (a.size > a.numOfSpecs * MAX_SPEC_SIZE) fail(EINVAL, `${a.size} bytes of specs for ${a.numOfSpecs} specs of at most ${MAX_SPEC_SIZE}`);
      if (a.reserved[0] !== 0 || a.reserved[1] !== 0) fail(EINVAL, 'flow_attr.reserved is not 0');
      const specs = a.numOfSpecs > 0 ? rest.next(a.size) : undefined;
      rest.finish();
      const u = wb.create(typeOf(wb, UVERBS_OBJECT.FLOW));
      portOf(s, a.port);
      const qp = readRecord<Qp>(wb, UVERBS_OBJECT.QP, cmd.qpHandle, 'QP');
      if (qp.qpType !== QPT.IB_UVERBS_QPT_UD && qp.qpType !== QPT.IB_UVERBS_QPT_RAW_PACKET) fail(EINVAL, 'flows steer to UD and RAW_PACKET QPs only');
      const r = parseSpecs(wb, specs, a.numOfSpecs);
      if (a.type > IB_FLOW_ATTR.SNIFFER) fail(EINVAL, `flow type ${a.type} is not one of ib_flow_attr_type`);
      u.object = newFlow(s, qp, {
        match: { attrType: a.type, port: a.port, flags: a.flags, filters: r.filters },
        tag: r.tag,
        drop: r.drop,
        actions: r.actions,
        ...(r.counters ? { counters: { counters: r.counters, description: COUNT_ACTION_DESCRIPTION } } : {}),
        priority: a.priority,
      });
      wb.respond((v, o) => encodeIbUverbsCreateFlowResp(v, o, { flowHandle: u.id }));
    },

    writeExDestroyFlow: destroyCommand(UVERBS_OBJECT.FLOW, decodeIbUverbsDestroyFlow, (c) => c.flowHandle, (c) => {
      if (c.compMask !== 0) fail(EINVAL, `comp_mask 0x${c.compMask.toString(16)} is not 0`);
    }),
  };
}
