/**
 * The emulated core device's mutable state (what Device.state holds): its caps, the
 * number spaces it hands QP, SRQ, WQ and key numbers from, its device memory, how many
 * objects of each type it holds, and the helpers every record uses for references.
 *
 * References follow the kernel's usecnt: an object that another object uses (a PD under
 * an MR, a CQ under a QP) counts its users; destroying it while the count is non-zero
 * answers EBUSY, and a holder's release drops what it holds.
 */
import type { ObjectTypeName } from '../../../generated/core/uapi.js';
import { RemoveReason, type Device, type RemoveReasonId } from '../../kernel/device.js';
import { EBUSY, ENOENT, ENOMEM, fail } from '../../abi/errno.js';
import type { Bundle } from '../../kernel/bundle.js';
import type { Process } from '../../process/process.js';
import type { UObject } from '../../kernel/uobject.js';
import type { CoreCaps } from './caps.js';
import type { Qp } from './qp.js';
import type { XrcdShare } from './pd.js';

/**
 * What every record of the emulated device has. T is a core object type name by default;
 * a driver's device (mlx5) keeps records of its own types with the same helpers.
 */
export interface Base<T extends string = ObjectTypeName> {
  readonly type: T;
  /** How many other objects hold this one (the kernel's usecnt): destroy answers EBUSY while it is non-zero. */
  usecnt: number;
  /** Set once its release ran; a second release is a bug in the runtime. */
  released: boolean;
}

/**
 * Numbers handed out round robin from [first, last], each unique while in use: QP,
 * SRQ and WQ numbers, key indexes. A freed number comes back only after the others,
 * as a device's bitmap allocator with a moving start does, so stale numbers in user
 * space are unlikely to name a new object at once.
 */
export class NumberSpace {
  private next: number;
  private readonly used = new Set<number>();

  constructor(
    private readonly what: string,
    readonly first: number,
    readonly last: number,
  ) {
    this.next = first;
  }

  /** A free number; ENOMEM when the device's table is full. */
  alloc(): number {
    if (this.used.size > this.last - this.first) fail(ENOMEM, `every ${this.what} is in use`);
    while (this.used.has(this.next)) this.advance();
    const n = this.next;
    this.used.add(n);
    this.advance();
    return n;
  }

  free(n: number): void {
    this.used.delete(n);
  }

  has(n: number): boolean {
    return this.used.has(n);
  }

  get inUse(): number {
    return this.used.size;
  }

  private advance(): void {
    this.next = this.next === this.last ? this.first : this.next + 1;
  }
}

/** On-device memory, shared by every context: first-fit ranges in granules. */
export class DeviceMemory {
  /** Allocated ranges, sorted by offset. */
  private readonly ranges: { offset: number; size: number }[] = [];
  private store: Uint8Array | undefined = undefined;

  constructor(
    readonly size: number,
    readonly granule: number,
  ) {}

  /** The memory's bytes, for the data path (made on first use: most devices never move data through it). */
  get bytes(): Uint8Array {
    this.store ??= new Uint8Array(this.size);
    return this.store;
  }

  /** The offset of `size` bytes (whole granules) aligned to `align`; ENOMEM when no hole fits. */
  alloc(size: number, align: number): number {
    let at = 0;
    let i = 0;
    for (; i <= this.ranges.length; i++) {
      at = Math.ceil(at / align) * align;
      const next = this.ranges[i];
      const end = next ? next.offset : this.size;
      if (at + size <= end) break;
      if (next) at = next.offset + next.size;
    }
    if (i > this.ranges.length) fail(ENOMEM, `no ${size} bytes of device memory aligned to ${align} are free`);
    this.ranges.splice(i, 0, { offset: at, size });
    return at;
  }

  free(offset: number): void {
    const i = this.ranges.findIndex((r) => r.offset === offset);
    if (i >= 0) this.ranges.splice(i, 1);
  }

  get used(): number {
    return this.ranges.reduce((n, r) => n + r.size, 0);
  }
}

export class CoreState {
  readonly qpns: NumberSpace;
  readonly srqns: NumberSpace;
  readonly wqns: NumberSpace;
  readonly cqns: NumberSpace;
  readonly pdns: NumberSpace;
  readonly xrcdns: NumberSpace;
  readonly indTblNums: NumberSpace;
  /** Indexes of memory keys (MRs and MWs); a key is the index shifted left 8 with a rolling variant byte below. */
  readonly keyIndexes: NumberSpace;
  private keyVariant = 0;
  /** Live MRs and MWs by their key (lkey = rkey on this device). */
  readonly keys = new Map<number, Base<'MR'> | Base<'MW'>>();
  readonly dm: DeviceMemory | undefined;
  /** Live QPs by number: where the data path delivers what a QP sends. */
  readonly qps = new Map<number, Qp>();
  /** QPs whose next send waits for the peer to post a receive (RC with rnr_retry 7, which retries forever). */
  readonly rnrWaiting = new Set<Qp>();
  /** XRC domains opened through a file, by its inode (the kernel's xrcd_tree). */
  readonly xrcdTable = new Map<object, XrcdShare>();
  /** How many objects of each type the device holds now (the kernel's restrack counts). */
  private readonly live = new Map<string, number>();
  /** Called after every release, for tests that count releases. */
  onRelease: ((u: UObject, reason: RemoveReasonId) => void) | undefined = undefined;
  /**
   * Whether the process holds CAP_NET_RAW (RAW_PACKET QPs). A simulated process has no
   * credentials, so every process may unless a test says otherwise.
   */
  mayUseRawPacket: (p: Process) => boolean = () => true;

  constructor(readonly caps: CoreCaps) {
    this.qpns = new NumberSpace('QP number', caps.firstQpn, caps.firstQpn + caps.maxQp - 1);
    this.srqns = new NumberSpace('SRQ number', caps.firstSrqn, Math.min(caps.firstSrqn + caps.maxSrq - 1, 0xffffff));
    this.wqns = new NumberSpace('WQ number', caps.firstWqn, Math.min(caps.firstWqn + caps.maxWq - 1, 0xffffff));
    this.cqns = new NumberSpace('CQ number', 1, Math.min(caps.maxCq, 0xffffff));
    this.pdns = new NumberSpace('PD number', 1, Math.min(caps.maxPd, 0xffffff));
    this.xrcdns = new NumberSpace('XRC domain number', 1, 0xffffff);
    this.indTblNums = new NumberSpace('indirection table number', 1, 0xffffff);
    this.keyIndexes = new NumberSpace('memory key', 1, Math.min(caps.maxMr + caps.maxMw, 0xffffff));
    this.dm = caps.dm ? new DeviceMemory(caps.dm.size, caps.dm.granule) : undefined;
  }

  /** A new memory key: never 0, unique among live keys. */
  allocKey(): number {
    const index = this.keyIndexes.alloc();
    this.keyVariant = (this.keyVariant + 1) & 0xff;
    return ((index << 8) | this.keyVariant) >>> 0;
  }

  freeKey(key: number): void {
    this.keyIndexes.free(key >>> 8);
    this.keys.delete(key);
  }

  count(type: string): number {
    return this.live.get(type) ?? 0;
  }

  /** ENOMEM when the device already holds `max` objects of `type` (call before allocating anything for a new one). */
  room(type: string, max: number): void {
    const n = this.count(type);
    if (n >= max) fail(ENOMEM, `the device holds ${n} ${type} objects, its maximum`);
  }

  /** Counts a record the device now holds. */
  born<R extends Base<string>>(r: R): R {
    this.live.set(r.type, this.count(r.type) + 1);
    return r;
  }

  died(type: string): void {
    this.live.set(type, this.count(type) - 1);
  }

  /** Every type with objects the device still holds (empty once everything is released). */
  liveObjects(): Map<string, number> {
    return new Map([...this.live].filter(([, n]) => n !== 0));
  }
}

/** The emulated core device's state behind `device`. */
export function coreState(device: Device): CoreState {
  if (!(device.state instanceof CoreState)) throw new Error('this device is not an emulated core device');
  return device.state;
}

/**
 * The fields every record starts with. Records spell them out (`type: 'CQ', usecnt: 0,
 * released: false, ...`) rather than spreading base(): in node 20 a literal that spreads
 * an object and then adds properties takes about 7 µs, which was half of a CQ's create
 * and destroy.
 */
export function base<T extends string>(type: T): Base<T> {
  return { type, usecnt: 0, released: false };
}

/** The record of `u`, checked to be of `type` (a record of another type is a bug, not user error). */
export function recordOf<R extends Base<string>>(u: UObject, type: R['type']): R {
  const r = u.object as Base<string> | undefined;
  if (r?.type !== type) throw new Error(`${u.type.name} ${u.id} holds ${r ? `a ${r.type} record` : 'no record'}, not a ${type} record`);
  return r as R;
}

/** The record behind an optional idr attribute, or undefined when it was not given. */
export function optionalRecord<R extends Base<string>>(b: Bundle, id: number, type: R['type']): R | undefined {
  const u = b.optionalUobject(id);
  return u ? recordOf<R>(u, type) : undefined;
}

/**
 * The record behind an attribute the spec leaves optional but this call needs:
 * ENOENT when absent, as uverbs_attr_get_obj answers.
 */
export function neededRecord<R extends Base<string>>(b: Bundle, id: number, type: R['type'], why: string): R {
  const u = b.optionalUobject(id);
  if (!u) fail(ENOENT, why);
  return recordOf<R>(u, type);
}

export function hold(r: Base<string> | undefined): void {
  if (r) r.usecnt++;
}

export function drop(r: Base<string> | undefined): void {
  if (!r) return;
  if (r.usecnt <= 0) throw new Error(`${r.type} reference count would go below zero`);
  r.usecnt--;
}

/** ib_destroy_usecnt: a destroy of an object still in use answers EBUSY; close and removal go on. */
export function refuseIfUsed(r: Base<string>, reason: RemoveReasonId, users: string): void {
  if (reason === RemoveReason.DESTROY && r.usecnt > 0) fail(EBUSY, `${r.type} is still used by ${r.usecnt} ${users}`);
}

/** Removes, in place and keeping the order of the rest, the items of `list` that `drop` selects. */
export function removeAll<T>(list: T[], drop: (x: T) => boolean): void {
  let k = 0;
  for (const x of list) if (!drop(x)) list[k++] = x;
  list.length = k;
}
