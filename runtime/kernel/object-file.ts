/**
 * The file behind an fd-type object's fd (a completion channel, an async event file, a
 * DEVX event channel, a dma-buf): an anonymous-inode file whose read is the object
 * type's (TypeOps.read), and whose last close releases the object.
 */
import { EBADF, EINVAL, ENOTTY, UverbsError } from '../abi/errno.js';
import { Inode, type File } from '../process/file.js';
import type { Process } from '../process/process.js';
import { RemoveReason, UObjectState, type UObject } from './uobject.js';

/** The one inode every anonymous-inode file shares (anon_inode_inode). */
const ANON_INODE = new Inode('anon_inode:[uverbs-object]');

export class ObjectFile implements File {
  readonly inode = ANON_INODE;

  constructor(readonly uobject: UObject) {}

  async ioctl(): Promise<number> {
    return -ENOTTY;
  }

  /** Open read-only. */
  async write(): Promise<number> {
    return -EBADF;
  }

  /** The type's read, or EINVAL for a type without one, as a file with no read operation answers. The emulation never blocks. */
  async read(addr: number, count: number): Promise<number> {
    const u = this.uobject;
    const ops = u.file.device.ops(u.type);
    if (!ops.read) return -EINVAL;
    try {
      return ops.read(u, u.file.process.memory, addr, count);
    } catch (e) {
      if (e instanceof UverbsError) return -e.errno;
      throw e;
    }
  }

  /** The last close: the object is released (unless a destroy or its file's close already did) and forgotten. */
  release(): void {
    const u = this.uobject;
    if (u.state === UObjectState.DESTROYED) return;
    const owner = u.file;
    if (u.state === UObjectState.LIVE) owner.device.ops(u.type).release(u, RemoveReason.CLOSE);
    owner.forget(u);
  }
}

/** The live object behind `fd` of `process`, if it is an object's fd. */
export function objectAt(process: Process, fd: number): UObject | undefined {
  const f = process.fileAt(fd);
  return f instanceof ObjectFile ? f.uobject : undefined;
}
