/**
 * A uverbs file (struct ib_uverbs_file): what open() of the device returns. It owns the
 * objects its commands created, a context once GET_CONTEXT ran, and the commands in
 * flight on it. Closing fences new commands, waits for those in flight, then releases
 * every object it owns in the driver's release order, each exactly once.
 */
import type { Process } from '../process/process.js';
import { TypeKind, type TypeSpec } from './contract.js';
import type { Device } from './device.js';
import { ObjectFile } from './object-file.js';
import { RemoveReason, UObject, UObjectList, UObjectState, type RemoveReasonId } from './uobject.js';

export class UverbsFile {
  /** The ucontext: whatever GET_CONTEXT's handler made; undefined before. */
  context: unknown = undefined;
  /** Objects created by this file and not yet destroyed (committed or reserved). */
  readonly objects = new UObjectList();
  /** Set when close starts: commands already past the fd table answer EIO. */
  closing = false;
  inflight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly device: Device,
    readonly process: Process,
  ) {
    device.files.add(this);
  }

  enter(): void {
    this.inflight++;
  }

  leave(): void {
    if (--this.inflight === 0 && this.idleWaiters.length > 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  /** close(): no new commands, wait for those in flight, release everything, leave the device. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.inflight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.releaseHw(RemoveReason.CLOSE);
    for (const u of this.objects) this.forget(u);
    this.device.files.delete(this);
  }

  /**
   * Releases the device resources of every live object, in release order. With
   * DRIVER_REMOVE the handles stay (HW_GONE) so that destroy and close still work.
   */
  releaseHw(reason: RemoveReasonId): void {
    const order = this.device.uapi.releaseOrder;
    const rank = (u: UObject): number => {
      const i = order.indexOf(u.type.id);
      return i < 0 ? order.length : i;
    };
    const live = [...this.objects].filter((u) => u.state === UObjectState.LIVE).sort((a, b) => rank(a) - rank(b) || b.id - a.id);
    for (const u of live) {
      this.device.ops(u.type).release(u, reason);
      u.state = UObjectState.HW_GONE;
    }
  }

  /** Drops a released object's handle (and fd). */
  forget(u: UObject): void {
    if (u.type.kind === TypeKind.IDR) this.device.idr.remove(u.id);
    else {
      const f = this.process.fileAt(u.id, true);
      if (f instanceof ObjectFile && f.uobject === u) this.process.releaseFd(u.id, f);
    }
    u.state = UObjectState.DESTROYED;
    u.usecnt = 0;
    this.objects.delete(u);
  }

  /** Allocates a `new` object: reserved, exclusively held, invisible until committed. */
  reserve(u: UObject): void {
    u.usecnt = -1;
    u.id = u.type.kind === TypeKind.IDR ? this.device.idr.alloc(u) : this.process.reserveFd(new ObjectFile(u));
    this.objects.add(u);
  }

  commit(u: UObject): void {
    u.state = UObjectState.LIVE;
    u.usecnt = 0;
    if (u.type.kind === TypeKind.FD) this.process.installFd(u.id);
  }

  /** A reserved object whose action failed: undo what the handler made, free the handle. */
  abort(u: UObject): void {
    if (u.object !== undefined) this.device.ops(u.type).release(u, RemoveReason.ABORT);
    this.forget(u);
  }

  /**
   * Creates an object outside an ioctl action, committed at once: what a write()
   * command such as ALLOC_PD does, and what tests use before that path exists.
   */
  create(type: TypeSpec, object: unknown): UObject {
    const u = new UObject(type, this);
    this.reserve(u);
    u.object = object;
    this.commit(u);
    return u;
  }

  /** A destroy action's release; EBUSY from the hook leaves the object as it was. */
  destroy(u: UObject): void {
    if (u.state === UObjectState.LIVE) this.device.ops(u.type).release(u, RemoveReason.DESTROY);
    this.forget(u);
  }
}


