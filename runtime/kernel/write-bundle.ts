/**
 * What a write() handler works with (the kernel's uverbs_attr_bundle as the write path
 * fills it): the command, its core request and response (ucore), the driver's
 * (driver_udata), and the object primitives of the uverbs core with the answers Linux
 * gives through write(). The handler reads its request and writes its response itself,
 * as the kernel's handlers do, so that each command keeps its own order of checks.
 *
 * The same bundle serves a command sent by write() and one sent through ioctl's
 * INVOKE_WRITE: only where ucore and driver_udata point differs.
 */
import { Access, type AccessId, type TypeSpec, type WriteSpec } from './contract.js';
import type { Device } from './device.js';
import { EINVAL, EIO, ENOSPC, EOPNOTSUPP, UverbsError, fail } from '../abi/errno.js';
import type { UverbsFile } from './uverbs-file.js';
import { lookupUObject } from './lookup.js';
import { Udata } from './udata.js';
import { UObject, UObjectState, unlock } from './uobject.js';
import type { InputBytes, UserMemory } from '../process/user-memory.js';

/** What follows a request's struct (struct uverbs_req_iter), taken in order. */
export class RequestIter {
  constructor(
    private readonly name: string,
    private readonly src: InputBytes,
    /** Offset of the next byte not taken. */
    private at: number,
  ) {}

  /** uverbs_request_next: the next `len` bytes, in place; ENOSPC when the request ends first. */
  next(len: number): InputBytes {
    if (len > this.src.len - this.at) fail(ENOSPC, `${this.name}: ${len} more bytes at ${this.at} of a ${this.src.len}-byte request`);
    const out = { view: this.src.view, offset: this.src.offset + this.at, len };
    this.at += len;
    return out;
  }

  /** uverbs_request_finish: whatever the command did not take must be zero (EOPNOTSUPP: a newer user asks for more). */
  finish(): void {
    for (let k = this.at; k < this.src.len; k++) {
      if (this.src.view.getUint8(this.src.offset + k) !== 0) fail(EOPNOTSUPP, `${this.name}: byte ${k} past what the command takes is not zero`);
    }
  }
}

export class WriteBundle {
  readonly device: Device;
  readonly memory: UserMemory;
  /** The object the command creates: reserved by create(), committed if the handler succeeds, else aborted. */
  created: UObject | undefined = undefined;
  /** A context made by this command (GET_CONTEXT) before it is the file's, so that create() may use it. */
  pendingContext: unknown = undefined;
  /** Objects looked up and locked, unlocked when the command ends. */
  private readonly held: { u: UObject; access: AccessId }[] = [];

  constructor(
    readonly file: UverbsFile,
    readonly command: WriteSpec,
    /** The core request and response (ucore). */
    readonly ucore: Udata,
    /** The driver's request and response (driver_udata); empty without driver data. */
    readonly driverUdata: Udata,
  ) {
    this.device = file.device;
    this.memory = file.process.memory;
  }

  /**
   * uverbs_request: the core request as the handler's struct, decoded with the generated
   * decoder: the bytes the user sent, zero-filled to the struct's size; a longer request
   * must be zero past the struct (EOPNOTSUPP: a newer user asks for what this kernel lacks).
   */
  request<T>(decode: (v: DataView, o: number) => T): T {
    const size = this.command.reqStructSize;
    const src = this.ucore.input(`${this.command.name} request`);
    const n = Math.min(src.len, size);
    const copy = new Uint8Array(size);
    copy.set(new Uint8Array(src.view.buffer, src.view.byteOffset + src.offset, n));
    for (let k = size; k < src.len; k++) {
      if (src.view.getUint8(src.offset + k) !== 0) fail(EOPNOTSUPP, `${this.command.name}: the request is longer than ${size} bytes and byte ${k} is not zero`);
    }
    return decode(new DataView(copy.buffer), 0);
  }

  /**
   * uverbs_request_start: the core request as the handler's struct, for a command whose
   * struct is followed by more (flow specs, WQ handles): ENOSPC when the request is
   * shorter than the struct, and an iterator over what follows it.
   */
  requestStart<T>(decode: (v: DataView, o: number) => T): { cmd: T; rest: RequestIter } {
    const size = this.command.reqStructSize;
    const src = this.ucore.input(`${this.command.name} request`);
    if (src.len < size) fail(ENOSPC, `${this.command.name}: the request is ${src.len} bytes, the struct ${size}`);
    return { cmd: decode(src.view, src.offset), rest: new RequestIter(this.command.name, src, size) };
  }

  /** How many bytes of core request the user sent. */
  get requestLen(): number {
    return this.ucore.inLen;
  }

  /**
   * uverbs_response: writes the response struct made by `encode` (`size` bytes; the
   * command's response size by default): as much as the user's room takes, the rest of
   * the room zeroed. EFAULT when the room is not mapped.
   */
  respond(encode: (v: DataView, o: number) => void, size = this.command.respStructSize): void {
    const bytes = new Uint8Array(size);
    encode(new DataView(bytes.buffer), 0);
    this.ucore.output(bytes, true, `${this.command.name} response`);
  }

  /** Room for the core response the user gave, in bytes. */
  get responseRoom(): number {
    return this.ucore.outLen;
  }

  /**
   * ib_uverbs_get_ucontext: the file's context; EIO once the device is removed, EINVAL
   * before GET_CONTEXT.
   */
  context<C>(): C {
    if (this.device.removed) fail(EIO, 'the device was removed');
    const c = this.file.context ?? this.pendingContext;
    if (c === undefined) fail(EINVAL, `${this.command.name}: no context on this file: GET_CONTEXT first`);
    return c as C;
  }

  /** The object type `name` of this device (a bug when the spec has no such type). */
  type(name: string): TypeSpec {
    const t = [...this.device.uapi.types.core, ...this.device.uapi.types.driver].find((x) => x?.name === name);
    if (!t) throw new Error(`device of driver ${this.device.uapi.driver} has no object type ${name}`);
    return t;
  }

  /**
   * uobj_alloc: reserves the object this command creates (its handle or fd is known at
   * once, for the response); committed when the handler succeeds, aborted otherwise.
   * EIO once the device is removed, EINVAL without a context.
   */
  create(type: TypeSpec): UObject {
    if (this.created) throw new Error(`${this.command.name} creates a second object`);
    this.context();
    const u = new UObject(type, this.file);
    this.file.reserve(u);
    this.created = u;
    return u;
  }

  /**
   * rdma_lookup_get_uobject: the object `id` names, locked for `access` until the
   * command ends, with the lookup's own errno (uobj_get_write and the fd lookups).
   */
  lookup(type: TypeSpec, id: number, access: AccessId): UObject {
    const u = lookupUObject(this.file, type, id, access);
    this.held.push({ u, access });
    return u;
  }

  /**
   * uobj_get_obj_read: the object `id` names, read-locked; any failure answers EINVAL,
   * as the write() handlers turn a failed read lookup into EINVAL.
   */
  read(type: TypeSpec, id: number): UObject {
    try {
      return this.lookup(type, id, Access.READ);
    } catch (e) {
      if (e instanceof UverbsError) fail(EINVAL, `${this.command.name}: ${type.name} ${id}: ${e.reason}`);
      throw e;
    }
  }

  /**
   * uobj_perform_destroy: looks up `id` for destroy and releases it through its type's
   * hook, which may refuse (EBUSY) and leave it as it was. Returns the destroyed object,
   * whose record the handler may still read for its response.
   */
  destroy(type: TypeSpec, id: number): UObject {
    const u = lookupUObject(this.file, type, id, Access.DESTROY);
    try {
      this.file.destroy(u);
    } catch (e) {
      unlock(u, Access.DESTROY);
      throw e;
    }
    return u;
  }

  /** The end of the command: commit or abort the created object, unlock what was looked up. */
  finish(ok: boolean): void {
    for (const { u, access } of this.held) if (u.state !== UObjectState.DESTROYED) unlock(u, access);
    this.held.length = 0;
    const u = this.created;
    if (!u) return;
    if (ok) this.file.commit(u);
    else this.file.abort(u);
  }
}

