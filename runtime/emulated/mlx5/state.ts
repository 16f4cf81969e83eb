/**
 * The emulated mlx5 device's state: the core device's (an Mlx5State is a CoreState, so
 * every core handler runs on it unchanged) plus what the mlx5 firmware keeps: DEVX user
 * ids, UAR indexes, the id spaces of firmware objects, umems, steering tables, the
 * packet pacing rate table, VirtIO pages, software-owned ICM, DEVX event channels.
 *
 * The runtime has no hook for a context's end, so what a context took from the device
 * (its user id, its doorbell pages) is returned when the next context is made after its
 * file closed (reapContexts).
 */
import type { Device } from '../../kernel/device.js';
import { EINVAL, ENOSPC, EPERM, fail } from '../../abi/errno.js';
import type { Process } from '../../process/process.js';
import type { UverbsFile } from '../../kernel/uverbs-file.js';
import { CoreState, DeviceMemory, NumberSpace } from '../core/state.js';
import type { Mlx5Caps } from './caps.js';
import type { DevxEventChannel } from './devx-async.js';
import type { DevxObj } from './devx-obj.js';
import type { DevxUmem } from './devx-umem.js';
import type { Base } from '../core/state.js';

/** A steering table the kernel owns for one namespace and priority (mlx5_ib_flow_prio): flows and anchors hold it. */
export interface SteeringTable {
  readonly key: string;
  readonly ftId: number;
  /** Raw flows and anchors in it. */
  refs: number;
  /** The anchor table in front of it, made by the first anchor; it stays until the device goes away. */
  anchorFtId: number | undefined;
  /** The live anchors of this table. */
  readonly anchors: Set<Base<'STEERING_ANCHOR'>>;
}

/** One entry of the packet pacing rate table: a rate context, shared unless dedicated. */
export interface RateEntry {
  readonly index: number;
  /** The 48-byte set_pp_rate_limit_context, as hex, and the uid of a dedicated entry. */
  readonly key: string;
  readonly rateKbps: number;
  refs: number;
}

/** What a context took from the device, given back once its file is gone. */
export interface ContextResources {
  readonly uid: number;
  readonly uarIndexes: number[];
}

/** mlx5_ib_ft_type_to_namespace: what the emulated device calls each table type. */
export const Namespace = { BYPASS: 'nic_rx', EGRESS: 'nic_tx', FDB: 'fdb', RDMA_RX: 'rdma_rx', RDMA_TX: 'rdma_tx', RDMA_TRANSPORT_RX: 'rdma_transport_rx', RDMA_TRANSPORT_TX: 'rdma_transport_tx' } as const;
export type NamespaceName = (typeof Namespace)[keyof typeof Namespace];
const NAMESPACES: readonly NamespaceName[] = [Namespace.BYPASS, Namespace.EGRESS, Namespace.FDB, Namespace.RDMA_RX, Namespace.RDMA_TX, Namespace.RDMA_TRANSPORT_RX, Namespace.RDMA_TRANSPORT_TX];

export class Mlx5State extends CoreState {
  declare readonly caps: Mlx5Caps;
  /** Device UAR indexes (0 is the kernel's own page). */
  readonly uarIndexes: NumberSpace;
  private readonly uids = new NumberSpace('DEVX user id', 1, 0xffff);
  /** Firmware id spaces by name; the ones verbs objects also draw from are the core's. */
  private readonly spaces = new Map<string, NumberSpace>();
  readonly umemIds = new NumberSpace('umem id', 1, 0xffffff);
  readonly steeringTables = new Map<string, SteeringTable>();
  readonly rateTable = new Map<number, RateEntry>();
  readonly varPages: NumberSpace | undefined;
  readonly tlpVarPages: NumberSpace | undefined;
  readonly swIcm = new Map<number, DeviceMemory>();
  /** Live DEVX objects by firmware name (devxKey), for commands that name one object by id in another. */
  readonly devxObjects = new Map<string, DevxObj>();
  /** Live umems by umem id. */
  readonly umems = new Map<number, DevxUmem>();
  readonly eventChannels = new Set<DevxEventChannel>();
  /** Flow counter ids: a bulk takes a run of them, so they are handed out in order and not reused. */
  nextFlowCounter = 0x100;
  /** Every context still counted, by file, for reapContexts. */
  private readonly contexts = new Map<UverbsFile, ContextResources>();
  /** CAP_SYS_RAWIO (software ICM); a simulated process has every capability unless a test says otherwise. */
  mayUseRawIo: (p: Process) => boolean = () => true;

  constructor(caps: Mlx5Caps) {
    super(caps);
    this.uarIndexes = new NumberSpace('UAR index', 1, caps.maxUars - 1);
    const shared: Record<string, NumberSpace> = {
      cq: this.cqns, qp: this.qpns, srq: this.srqns, rq: this.wqns, rqt: this.indTblNums, pd: this.pdns, xrcd: this.xrcdns, mkey: this.keyIndexes,
    };
    for (const [k, v] of Object.entries(shared)) this.spaces.set(k, v);
    if (caps.var) {
      this.varPages = new NumberSpace('VirtIO doorbell page', 0, caps.var.pages - 1);
      if (caps.var.tlpPages > 0) this.tlpVarPages = new NumberSpace('TLP emulation page', 0, caps.var.tlpPages - 1);
    }
    if (caps.swIcm) {
      for (const [type, size] of Object.entries(caps.swIcm.sizes)) this.swIcm.set(Number(type), new DeviceMemory(size, caps.swIcm.block));
    }
  }

  /** The id space `name` (made on first use: 24-bit numbers from 1, 8-bit for queue counters). */
  space(name: string): NumberSpace {
    let s = this.spaces.get(name);
    if (!s) {
      s = name === 'q_counter' ? new NumberSpace(name, 1, 0xff) : new NumberSpace(`${name} id`, 1, 0xffffff);
      this.spaces.set(name, s);
    }
    return s;
  }

  /** A DEVX user id for a new context (mlx5_ib_devx_create); EINVAL on a device without DEVX. */
  allocUid(): number {
    if (!this.caps.devx) fail(EINVAL, 'the device has no DEVX user contexts (log_max_uctx is 0)');
    return this.uids.alloc();
  }

  freeUid(uid: number): void {
    this.uids.free(uid);
  }

  /** Records what `file`'s context took, so that it comes back after the file closes. */
  trackContext(file: UverbsFile, r: ContextResources): void {
    this.contexts.set(file, r);
  }

  /** Gives back what contexts of closed files took. */
  reapContexts(device: Device): void {
    for (const [f, r] of this.contexts) {
      if (device.files.has(f)) continue;
      if (r.uid !== 0) this.uids.free(r.uid);
      for (const i of r.uarIndexes) this.uarIndexes.free(i);
      this.contexts.delete(f);
    }
  }

  /** The table of `ns` at `priority`, made on first use (the kernel's _get_flow_table), with one more holder. */
  holdTable(ns: NamespaceName, priority: number): SteeringTable {
    if (priority >= this.caps.steering.priorities) fail(EINVAL, `priority ${priority} is not below the ${this.caps.steering.priorities} priorities of ${ns}`);
    const key = `${ns}:${priority}`;
    let t = this.steeringTables.get(key);
    if (!t) {
      t = { key, ftId: this.space('ft').alloc(), refs: 0, anchorFtId: undefined, anchors: new Set() };
      this.steeringTables.set(key, t);
    }
    t.refs++;
    return t;
  }

  /** Drops a holder; the table goes with its last one unless an anchor table stands in front of it. */
  putTable(t: SteeringTable): void {
    if (--t.refs > 0 || t.anchorFtId !== undefined) return;
    this.space('ft').free(t.ftId);
    this.steeringTables.delete(t.key);
  }

  /** The namespace of an mlx5_ib_uapi_flow_table_type; EINVAL for an unknown type or an FDB outside switchdev. */
  namespaceOf(ftType: number): NamespaceName {
    const ns = NAMESPACES[ftType];
    if (ns === undefined) fail(EINVAL, `flow table type ${ftType} is not one of mlx5_ib_uapi_flow_table_type`);
    if (ns === Namespace.FDB && !this.caps.eswitch) fail(EINVAL, 'the FDB needs the e-switch in switchdev (offloads) mode');
    return ns;
  }

  /** A rate-table index for `ctx` (48 bytes): shared with an equal entry unless dedicated. */
  addRate(ctx: Uint8Array, rateKbps: number, dedicatedUid: number | undefined): RateEntry {
    const pp = this.caps.pp!;
    if (rateKbps === 0 || rateKbps < pp.minRate || rateKbps > pp.maxRate) fail(EINVAL, `rate ${rateKbps} kb/s is not in ${pp.minRate}..${pp.maxRate}`);
    const key = `${Buffer.from(ctx).toString('hex')}/${dedicatedUid ?? 'shared'}`;
    if (dedicatedUid === undefined) {
      for (const e of this.rateTable.values()) {
        if (e.key === key) {
          e.refs++;
          return e;
        }
      }
    }
    let index = 1;
    while (this.rateTable.has(index)) index++;
    if (index > pp.tableSize) fail(ENOSPC, `the rate table's ${pp.tableSize} entries are taken`);
    const e: RateEntry = { index, key, rateKbps, refs: 1 };
    this.rateTable.set(index, e);
    return e;
  }

  putRate(e: RateEntry): void {
    if (--e.refs === 0) this.rateTable.delete(e.index);
  }

  /** CAP_NET_RAW, as the steering actions ask it. */
  needNetRaw(p: Process, what: string): void {
    if (!this.mayUseRawPacket(p)) fail(EPERM, `${what} needs CAP_NET_RAW`);
  }
}

/** The emulated mlx5 device's state behind `device`. */
export function mlx5State(device: Device): Mlx5State {
  if (!(device.state instanceof Mlx5State)) throw new Error('this device is not an emulated mlx5 device');
  return device.state;
}
