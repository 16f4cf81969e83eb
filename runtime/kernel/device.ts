/**
 * A device: a driver's kernel tables, the handlers that implement its actions, the
 * per-type release hooks, one IDR for every object of every file, and removal.
 *
 * Removal is the proposal's SRCU: new commands answer EIO (destroy excepted), those in
 * flight finish first, then every file's objects are released; their handles stay
 * until destroyed or closed, so destroy still works on what remains.
 */
import { ActionPlan } from './action-plan.js';
import { TypeKind, checkContract, lookup, type ActionSpec, type ById, type TypeSpec, type UapiSpec, type WriteSpec } from './contract.js';
import type { Bundle } from './bundle.js';
import { Idr } from './idr.js';
import type { UverbsFile } from './uverbs-file.js';
import type { CharDevice, Process } from '../process/process.js';
import type { File } from '../process/file.js';
import { RemoveReason, type RemoveReasonId, type UObject } from './uobject.js';
import type { WriteBundle } from './write-bundle.js';
import type { UserMemory } from '../process/user-memory.js';

export { RemoveReason, type RemoveReasonId } from './uobject.js';

/** An action's implementation. It may be async; it ends the command by returning or throwing UverbsError. */
export type Handler = (b: Bundle) => void | Promise<void>;

/** A write() command's implementation: reads its request, writes its response, ends by returning or throwing UverbsError. */
export type WriteHandler = (b: WriteBundle) => void | Promise<void>;

/** How a type's objects are released (UVERBS_TYPE_ALLOC_IDR's destroy function). */
export interface TypeOps {
  /** Releases `u.object`. With reason DESTROY it may throw UverbsError(EBUSY) to refuse. */
  release(u: UObject, reason: RemoveReasonId): void;
  /**
   * read(2) of an fd-type object (the file_operations' read): writes at most `count`
   * bytes at `addr` of `memory` and returns how many, or throws UverbsError with the
   * errno. A type without it answers EINVAL, as a file with no read operation does.
   */
  read?(u: UObject, memory: UserMemory, addr: number, count: number): number;
}

/** What a device implementation supplies: a handler per action, release hooks per object type. */
export interface DeviceOps<H extends string = string, T extends string = string, W extends string = string> {
  readonly handlers: Readonly<Record<H, Handler>>;
  readonly types: Readonly<Record<T, TypeOps>>;
  /**
   * The write() commands the device implements, by handler name. A command without one
   * answers EOPNOTSUPP, as Linux answers for a device that lacks the operation.
   */
  readonly writeHandlers?: Readonly<Partial<Record<W, WriteHandler>>>;
}

/** open() of a device node (the char device's file_operations open): a new file, or -errno. */
export type DeviceOpen = (device: Device, process: Process) => File | number;

export class Device implements CharDevice {
  readonly uapi: UapiSpec;
  readonly idr = new Idr<UObject>();
  readonly files = new Set<UverbsFile>();
  /** Set when removal starts: new commands answer EIO, destroy excepted. */
  removed = false;
  /** Commands running now (the SRCU read side). */
  inflight = 0;
  /** Per type, per action: the action's plan (its handler included), dense by id as the tables are. */
  private readonly plans: ById<ById<ActionPlan<Handler>>>;
  private readonly typeOps = new Map<TypeSpec, TypeOps>();
  private readonly writeHandlers = new Map<WriteSpec, WriteHandler>();
  private drainWaiters: (() => void)[] = [];

  constructor(
    uapi: UapiSpec,
    ops: DeviceOps,
    /** How open() of the device node makes a file: the uverbs char device's (registerDevice gives it). */
    private readonly openFile: DeviceOpen,
    /** The device's own state, for its handlers. */
    readonly state: unknown = undefined,
  ) {
    this.uapi = checkContract(uapi);
    const missing: string[] = [];
    const typeOf = (id: number): TypeSpec | undefined => this.type(id);
    const plansOf = (t: TypeSpec | undefined): ById<ActionPlan<Handler>> | undefined => {
      if (!t) return undefined;
      if (t.kind !== TypeKind.DEVICE) {
        const o = (ops.types as Record<string, TypeOps | undefined>)[t.name];
        if (o) this.typeOps.set(t, o);
        else missing.push(`release hook of type ${t.name}`);
      }
      const planOf = (a: ActionSpec | undefined): ActionPlan<Handler> | undefined => {
        if (!a) return undefined;
        const h = (ops.handlers as Record<string, Handler | undefined>)[a.handler];
        if (h) return new ActionPlan(a, h, typeOf);
        missing.push(`handler ${a.handler} (${t.name}.${a.name})`);
        return undefined;
      };
      return { core: dense(t.actions.core, planOf), driver: dense(t.actions.driver, planOf) };
    };
    this.plans = { core: dense(uapi.types.core, plansOf), driver: dense(uapi.types.driver, plansOf) };
    if (missing.length > 0) throw new Error(`device of driver ${uapi.driver} lacks: ${missing.join(', ')}`);
    const writeOps = (ops.writeHandlers ?? {}) as Record<string, WriteHandler | undefined>;
    for (const w of [...uapi.write, ...uapi.writeEx]) {
      const h = w && w.handler !== '' ? writeOps[w.handler] : undefined;
      if (w && h) this.writeHandlers.set(w, h);
    }
    const known = new Set([...uapi.write, ...uapi.writeEx].map((w) => w?.handler));
    const unknown = Object.keys(writeOps).filter((n) => !known.has(n));
    if (unknown.length > 0) throw new Error(`device of driver ${uapi.driver} has write handlers for no command of its spec: ${unknown.join(', ')}`);
  }

  /** open() of the device node: what its char device makes (registerDevice). */
  open(process: Process): File | number {
    return this.openFile(this, process);
  }

  get driverId(): number {
    return this.uapi.driverId;
  }

  type(id: number): TypeSpec | undefined {
    return lookup(this.uapi.types, id);
  }

  /** The plan of action `methodId` of type `objectId`, or undefined when the device has no such action. */
  plan(objectId: number, methodId: number): ActionPlan<Handler> | undefined {
    const t = lookup(this.plans, objectId);
    return t === undefined ? undefined : lookup(t, methodId);
  }

  /** The device's handler of a write() command, or undefined when it does not implement it. */
  writeHandler(w: WriteSpec): WriteHandler | undefined {
    return this.writeHandlers.get(w);
  }

  ops(t: TypeSpec): TypeOps {
    return this.typeOps.get(t)!;
  }

  enter(): void {
    this.inflight++;
  }

  leave(): void {
    if (--this.inflight === 0 && this.drainWaiters.length > 0) {
      const w = this.drainWaiters;
      this.drainWaiters = [];
      for (const f of w) f();
    }
  }

  /** Device removal: fence new commands, let those in flight finish, release every file's objects. */
  async remove(): Promise<void> {
    this.removed = true;
    if (this.inflight > 0) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    for (const f of this.files) f.releaseHw(RemoveReason.DRIVER_REMOVE);
  }
}

/** `map` of each entry of a dense table, as a packed array of the same length (holes read as undefined). */
function dense<T, U>(xs: readonly (T | undefined)[], map: (x: T | undefined) => U | undefined): (U | undefined)[] {
  const out: (U | undefined)[] = [];
  for (let k = 0; k < xs.length; k++) out.push(map(xs[k]));
  return out;
}
