/**
 * A session with the emulated core device, end to end: a process, an open uverbs fd, a
 * mapped IoctlBuffer, and one call per action through the generated encoders, ioctl()
 * and the generated decoders. Keeps the names of the actions that succeeded, so tests
 * can check that every action ran.
 */
import { expect } from 'vitest';
import { decodeGetContextOut, encodeGetContext, UVERBS_OBJECT, type UverbsObjectName } from '../../generated/core/index.js';
import type { Device } from '../../runtime/kernel/device.js';
import { lastInternalError } from '../../runtime/kernel/dispatch.js';
import { EIO, errnoName, UverbsError } from '../../runtime/abi/errno.js';
import type { UverbsFile } from '../../runtime/kernel/uverbs-file.js';
import { IoctlBuffer } from '../../runtime/user/ioctl-buffer.js';
import { Process } from '../../runtime/process/process.js';
import { RDMA_VERBS_IOCTL } from '../../runtime/abi/wire.js';
import { coreState, createCoreDevice, type CoreCaps, type CoreState } from '../../runtime/emulated/core/index.js';
import { uverbsFileAt } from '../../runtime/kernel/char-device.js';

export type Encoder<I> = (buf: IoctlBuffer, input: I) => number;

export class Session {
  readonly process: Process;
  readonly fd: number;
  readonly buf: IoctlBuffer;
  /** "TYPE.ACTION" of every call that succeeded. */
  readonly ran = new Set<string>();

  constructor(
    readonly device: Device,
    process?: Process,
  ) {
    this.process = process ?? new Process();
    this.fd = this.process.open(device);
    const m = this.process.memory.map(16384);
    this.buf = new IoctlBuffer(16384, m.addr, m.bytes);
    this.buf.memory = this.process.memory;
  }

  /** A device with `caps`, a session on it, and a context (unless told not to). */
  static async open(caps: Partial<CoreCaps> = {}, context = true): Promise<Session> {
    const s = new Session(createCoreDevice(caps));
    if (context) await s.call(encodeGetContext, {}, decodeGetContextOut);
    return s;
  }

  get file(): UverbsFile {
    const f = uverbsFileAt(this.process, this.fd);
    if (!f) throw new Error('the uverbs fd is closed');
    return f;
  }

  get state(): CoreState {
    return coreState(this.device);
  }

  /** Encodes `input`, runs the ioctl: 0 or a positive errno. A handler bug (EIO from a non-UverbsError) is thrown. */
  async send<I>(encode: Encoder<I>, input: I): Promise<number> {
    encode(this.buf, input);
    const before = lastInternalError;
    const rc = await this.process.ioctl(this.fd, RDMA_VERBS_IOCTL, this.buf.addr);
    if (rc === -EIO && lastInternalError !== before) throw lastInternalError;
    if (rc === 0) this.ran.add(this.actionName());
    return rc === 0 ? 0 : -rc;
  }

  /** The call must succeed; returns what the kernel wrote back. */
  async call<I, O>(encode: Encoder<I>, input: I, decode: (buf: IoctlBuffer) => O): Promise<O> {
    const errno = await this.send(encode, input);
    if (errno !== 0) throw new Error(`${this.actionName()} failed with ${errnoName(errno)}`);
    return decode(this.buf);
  }

  /** The call must fail with `errno`. */
  async fails<I>(errno: number, encode: Encoder<I>, input: I): Promise<void> {
    const got = await this.send(encode, input);
    expect(errnoName(got), `${this.actionName()} answered ${errnoName(got)}`).toBe(errnoName(errno));
  }

  /** An object made outside ioctl, as write() commands make them: its handle (or fd). */
  create(type: UverbsObjectName, record: unknown): number {
    return this.file.create(this.device.type(UVERBS_OBJECT[type])!, record).id;
  }

  /** The device's record behind an idr handle. */
  record<T>(handle: number): T {
    const u = this.device.idr.get(handle);
    if (!u || u.file !== this.file) throw new Error(`no object ${handle} on this file`);
    return u.object as T;
  }

  /** A fresh mapping in the process, for user memory the device should see. */
  map(len: number): { addr: number; bytes: Uint8Array } {
    return this.process.memory.map(len);
  }

  private actionName(): string {
    const v = this.buf.view;
    const type = this.device.type(v.getUint16(2, true));
    const action = type?.actions.core[v.getUint16(4, true) & 0xfff];
    return `${type?.name ?? '?'}.${action?.name ?? '?'}`;
  }
}

/** A GID from its decoded form (two little-endian u64) back to the 16 bytes on the wire, as text. */
export function gidText(gid: readonly bigint[]): string {
  const v = new DataView(new ArrayBuffer(16));
  gid.forEach((x, i) => v.setBigUint64(8 * i, x, true));
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(v.getUint16(i).toString(16));
  return groups.join(':');
}

/** Every action of the core ABI, as "TYPE.ACTION". */
export function allCoreActions(device: Device): string[] {
  const out: string[] = [];
  for (const t of device.uapi.types.core) {
    if (!t) continue;
    for (const a of t.actions.core) if (a) out.push(`${t.name}.${a.name}`);
  }
  return out.sort();
}

/** The errno `f` ends with (a UverbsError), or 0 when it returns. */
export function errnoOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    if (e instanceof UverbsError) return e.errno;
    throw e;
  }
  return 0;
}
