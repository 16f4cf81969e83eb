/**
 * A user process as the kernel sees it: its address space and its fd table. open()
 * of a device gives a uverbs file; fd-type objects (completion channels, async event
 * files, dma-bufs) get fds in the same table, and so do regular files (only their inode
 * matters here: OPEN_XRCD shares an XRC domain among the opens of one file).
 * ioctl() and close() are the syscalls, returning 0 or -errno as the kernel does;
 * write() of a command returns the byte count.
 */
import { dispatch } from '../kernel/dispatch.js';
import { dispatchWrite } from '../kernel/write-dispatch.js';
import { RemoveReason, type Device } from '../kernel/device.js';
import { EBADF, EINVAL, EIO, ENOTTY, UverbsError } from '../abi/errno.js';
import { UverbsFile } from '../kernel/uverbs-file.js';
import { UObjectState, type UObject } from '../kernel/uobject.js';
import { UserMemory } from './user-memory.js';

/**
 * A regular file's inode: what every fd opened on the same file shares, in this
 * process or another (file_inode). Make one per file and open it with Process.openFile.
 */
export class Inode {
  constructor(
    /** Where the file is, for messages. */
    readonly path: string,
  ) {}
}

/** The one inode every anonymous-inode file shares (anon_inode_inode): completion channels, event files, dma-bufs. */
const ANON_INODE = new Inode('anon_inode:[uverbs-object]');

type OpenFile =
  | { kind: 'uverbs'; file: UverbsFile }
  | { kind: 'object'; uobject: UObject }
  | { kind: 'reserved'; uobject: UObject }
  | { kind: 'regular'; inode: Inode };

export class Process {
  readonly memory = new UserMemory();
  private readonly fds = new Map<number, OpenFile>();

  /** Lowest free fd from 3, as the kernel hands them out (0..2 are stdio). */
  private freeFd(): number {
    let fd = 3;
    while (this.fds.has(fd)) fd++;
    return fd;
  }

  /** open("/dev/infiniband/uverbsN"): a new uverbs file on `device`; EIO once it is removed. */
  open(device: Device): number {
    if (device.removed) return -EIO;
    const fd = this.freeFd();
    this.fds.set(fd, { kind: 'uverbs', file: new UverbsFile(device, this) });
    return fd;
  }

  /** open() of a regular file: an fd on `inode`. */
  openFile(inode: Inode): number {
    const fd = this.freeFd();
    this.fds.set(fd, { kind: 'regular', inode });
    return fd;
  }

  /** Whether `fd` is open (a reserved fd is not yet: its object is being created). */
  isOpen(fd: number): boolean {
    const f = this.fds.get(fd);
    return f !== undefined && f.kind !== 'reserved';
  }

  /**
   * file_inode of an open fd, or undefined when `fd` is not open: a regular file's own
   * inode, the device node for a uverbs file (every open of the device shares it), the
   * anonymous inode for an object's fd.
   */
  inodeOf(fd: number): object | undefined {
    const f = this.fds.get(fd);
    switch (f?.kind) {
      case 'regular':
        return f.inode;
      case 'uverbs':
        return f.file.device;
      case 'object':
        return ANON_INODE;
      default:
        return undefined;
    }
  }

  /** The uverbs file behind `fd`, if it is one. */
  uverbsFile(fd: number): UverbsFile | undefined {
    const f = this.fds.get(fd);
    return f?.kind === 'uverbs' ? f.file : undefined;
  }

  /** The live object behind `fd`, if it is an object's fd. */
  objectAt(fd: number): UObject | undefined {
    const f = this.fds.get(fd);
    return f?.kind === 'object' ? f.uobject : undefined;
  }

  /** ioctl(fd, request, arg): 0 or -errno. */
  async ioctl(fd: number, request: number, arg: number): Promise<number> {
    const f = this.fds.get(fd);
    if (!f || f.kind === 'reserved') return -EBADF;
    if (f.kind !== 'uverbs') return -ENOTTY;
    return dispatch(f.file, request, arg);
  }

  /** write(fd, buf, count) of a write() ABI command: `count`, or -errno. Object fds and regular files are open read-only here (EBADF). */
  async write(fd: number, addr: number, count: number): Promise<number> {
    const f = this.fds.get(fd);
    if (!f || f.kind !== 'uverbs') return -EBADF;
    return dispatchWrite(f.file, addr, count);
  }

  /**
   * read(fd, addr, count): bytes read into this process's memory at `addr`, or -errno:
   * EBADF for an fd that is not open, EINVAL for a uverbs file or an object whose type
   * has no read (TypeOps.read), and whatever the type's read answers; a regular file
   * (whose contents are not modelled) reads as empty. The emulation
   * never blocks: event files answer EAGAIN when empty, as with O_NONBLOCK.
   */
  async read(fd: number, addr: number, count: number): Promise<number> {
    const f = this.fds.get(fd);
    if (!f || f.kind === 'reserved') return -EBADF;
    if (f.kind === 'uverbs') return -EINVAL;
    if (f.kind === 'regular') return 0; // its contents are not modelled: an empty file, at its end
    const ops = f.uobject.file.device.ops(f.uobject.type);
    if (!ops.read) return -EINVAL;
    try {
      return ops.read(f.uobject, this.memory, addr, count);
    } catch (e) {
      if (e instanceof UverbsError) return -e.errno;
      throw e;
    }
  }

  /** close(fd): a uverbs file releases everything it owns; an object's fd releases the object. */
  async close(fd: number): Promise<number> {
    const f = this.fds.get(fd);
    if (!f || f.kind === 'reserved') return -EBADF;
    this.fds.delete(fd);
    if (f.kind === 'regular') return 0;
    if (f.kind === 'uverbs') await f.file.close();
    else if (f.uobject.state !== UObjectState.DESTROYED) {
      const owner = f.uobject.file;
      if (f.uobject.state === UObjectState.LIVE) owner.device.ops(f.uobject.type).release(f.uobject, RemoveReason.CLOSE);
      owner.forget(f.uobject);
    }
    return 0;
  }

  /** Reserves an fd for a `new` fd object (get_unused_fd): not usable until installed. */
  reserveObjectFd(u: UObject): number {
    const fd = this.freeFd();
    this.fds.set(fd, { kind: 'reserved', uobject: u });
    return fd;
  }

  installObjectFd(u: UObject): void {
    this.fds.set(u.id, { kind: 'object', uobject: u });
  }

  /** Frees the fd of an object being forgotten, if the process still has it. */
  closeObjectFd(u: UObject): void {
    const f = this.fds.get(u.id);
    if ((f?.kind === 'object' || f?.kind === 'reserved') && f.uobject === u) this.fds.delete(u.id);
  }
}
