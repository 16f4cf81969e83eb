/**
 * FLOW and COUNTERS. A steering rule (created by the write() command CREATE_FLOW) holds
 * its QP, its flow actions and the counters bound to it; a counters object counts once
 * bound, in the order of the description it was bound with.
 *
 * The emulated device has no wire, so a flow's packets and bytes only move when
 * something plays traffic by adding to them (a test, or a later datapath).
 */
import { IB_UVERBS_QP_TYPE as QPT, IB_UVERBS_READ_COUNTERS_FLAGS } from '../../../generated/core/enums.js';
import { UVERBS_ATTRS_COUNTERS_CREATE, UVERBS_ATTRS_COUNTERS_READ } from '../../../generated/core/ids.js';
import type { Bundle } from '../../kernel/bundle.js';
import type { RemoveReasonId } from '../../kernel/device.js';
import { EINVAL, EOPNOTSUPP, fail } from '../../abi/errno.js';
import type { FlowAction } from './flow-action.js';
import type { Qp } from './qp.js';
import { coreState, drop, hold, recordOf, refuseIfUsed, type Base, type CoreState } from './state.js';

/** What one counter of a counters object counts (the driver's counter description). */
export type CounterKind = 'packets' | 'bytes';

export interface Counters extends Base<'COUNTERS'> {
  /** Set when bound to a flow: what each u64 of a read is. */
  description: readonly CounterKind[];
  readonly flows: Set<Flow>;
  /** The values of the last read from the hardware, for reads that prefer cached values. */
  cached: bigint[] | undefined;
}

export function newCounters(s: CoreState): Counters {
  if (!s.caps.flowCounters) fail(EOPNOTSUPP, 'the device has no flow counters');
  return s.born<Counters>({ type: 'COUNTERS', usecnt: 0, released: false, description: [], flows: new Set(), cached: undefined });
}

export function releaseCounters(_s: CoreState, r: Counters, reason: RemoveReasonId): void {
  refuseIfUsed(r, reason, 'flows');
}

/** One header a rule matches: the spec type (ib_flow_spec_type, with its INNER bit), and the value and mask bytes as given. */
export interface FlowFilter {
  readonly specType: number;
  readonly val: Uint8Array;
  readonly mask: Uint8Array;
}

/** What a rule matches (struct ib_flow_attr): its type, port, flags and filters, outermost first. */
export interface FlowMatch {
  /** ib_flow_attr_type: normal, all default, multicast default, sniffer. */
  readonly attrType: number;
  readonly port: number;
  /** ib_flow_flags. */
  readonly flags: number;
  readonly filters: readonly FlowFilter[];
}

export interface FlowParams {
  readonly match?: FlowMatch;
  /** A flow tag reported in the completion of matched packets. */
  readonly tag?: number | undefined;
  /** Matched packets are dropped rather than delivered. */
  readonly drop?: boolean;
  readonly actions?: readonly FlowAction[];
  /** Counters to bind, and what each of their values counts. */
  readonly counters?: { readonly counters: Counters; readonly description: readonly CounterKind[] };
  readonly priority?: number;
}

export interface Flow extends Base<'FLOW'> {
  readonly qp: Qp;
  readonly match: FlowMatch | undefined;
  readonly tag: number | undefined;
  readonly drop: boolean;
  readonly actions: readonly FlowAction[];
  readonly counters: Counters | undefined;
  readonly priority: number;
  /** Traffic the rule matched. */
  packets: bigint;
  bytes: bigint;
}

/** CREATE_FLOW: rules steer to UD and RAW_PACKET QPs; a counters object binds to one rule at a time. */
export function newFlow(s: CoreState, qp: Qp, p: FlowParams = {}): Flow {
  if (qp.qpType !== QPT.IB_UVERBS_QPT_UD && qp.qpType !== QPT.IB_UVERBS_QPT_RAW_PACKET) fail(EINVAL, 'flows steer to UD and RAW_PACKET QPs only');
  const c = p.counters;
  if (c) {
    if (c.counters.usecnt > 0) fail(EINVAL, 'the counters object is already bound to a flow');
    if (c.description.length === 0) fail(EINVAL, 'a counters binding describes at least one counter');
  }
  const flow = s.born<Flow>({
    type: 'FLOW', usecnt: 0, released: false, qp, match: p.match, tag: p.tag, drop: p.drop ?? false, actions: [...(p.actions ?? [])], counters: c?.counters,
    priority: p.priority ?? 0, packets: 0n, bytes: 0n,
  });
  hold(qp);
  for (const a of flow.actions) hold(a);
  if (c) {
    hold(c.counters);
    c.counters.description = [...c.description];
    c.counters.cached = undefined;
    c.counters.flows.add(flow);
  }
  return flow;
}

export function releaseFlow(_s: CoreState, r: Flow): void {
  drop(r.qp);
  for (const a of r.actions) drop(a);
  if (r.counters) {
    r.counters.flows.delete(r);
    drop(r.counters);
  }
}

function readHardware(c: Counters): bigint[] {
  return c.description.map((kind) => [...c.flows].reduce((n, f) => n + (kind === 'packets' ? f.packets : f.bytes), 0n));
}

export const countersHandlers = {
  countersCreate(b: Bundle): void {
    b.uobject(UVERBS_ATTRS_COUNTERS_CREATE.handle).object = newCounters(coreState(b.device));
  },

  countersRead(b: Bundle): void {
    const A = UVERBS_ATTRS_COUNTERS_READ;
    const c = recordOf<Counters>(b.uobject(A.handle), 'COUNTERS');
    if (c.usecnt === 0) fail(EINVAL, 'the counters object is not bound to a flow');
    const preferCached = (b.flags(A.flags, BigInt(IB_UVERBS_READ_COUNTERS_FLAGS.IB_UVERBS_READ_COUNTERS_PREFER_CACHED)) & 1n) !== 0n;
    const room = Math.floor(b.len(A.buff) / 8);
    if (room < c.description.length) fail(EINVAL, `buff holds ${room} counters, the object has ${c.description.length}`);
    let values = preferCached ? c.cached : undefined;
    if (!values) {
      values = readHardware(c);
      c.cached = values;
    }
    const out = values;
    b.output(A.buff, out.length * 8, (v, o) => out.forEach((x, i) => v.setBigUint64(o + 8 * i, x, true)));
  },
};
