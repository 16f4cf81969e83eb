/**
 * A user process as the kernel sees it: its address space and its fd table. open()
 * of a device gives the file its char device makes (a uverbs file); the kernel
 * installs fds for the files it creates (completion channels, async event files,
 * dma-bufs), and regular files can be opened too (only their inode matters here:
 * OPEN_XRCD shares an XRC domain among the opens of one file). ioctl(), write(),
 * read() and close() are the syscalls, routed to the file behind the fd and
 * returning what it answers (a count, 0, or -errno) as the kernel does.
 */
import { EBADF } from '../abi/errno.js';
import { RegularFile, type File, type Inode } from './file.js';
import { UserMemory } from './user-memory.js';

/** What open() of a device node reaches (the char device's open): a new file, or -errno. */
export interface CharDevice {
  open(process: Process): File | number;
}

/** An fd taken for a file the kernel is still making (get_unused_fd_flags): not usable until installed. */
class Reserved {
  constructor(readonly file: File) {}
}

export class Process {
  readonly memory = new UserMemory();
  private readonly fds = new Map<number, File | Reserved>();

  /** Lowest free fd from 3, as the kernel hands them out (0..2 are stdio). */
  private freeFd(): number {
    let fd = 3;
    while (this.fds.has(fd)) fd++;
    return fd;
  }

  /** open() of a device node, e.g. "/dev/infiniband/uverbs0": an fd on the file it makes, or -errno (EIO once it is removed). */
  open(device: CharDevice): number {
    const file = device.open(this);
    if (typeof file === 'number') return file;
    const fd = this.freeFd();
    this.fds.set(fd, file);
    return fd;
  }

  /** open() of a regular file: an fd on `inode`. */
  openFile(inode: Inode): number {
    const fd = this.freeFd();
    this.fds.set(fd, new RegularFile(inode));
    return fd;
  }

  /** The file behind `fd`: an installed one, or with `reserved` also one still being made. */
  fileAt(fd: number, reserved = false): File | undefined {
    const f = this.fds.get(fd);
    return f instanceof Reserved ? (reserved ? f.file : undefined) : f;
  }

  /** Whether `fd` is open (a reserved fd is not yet: its file is being made). */
  isOpen(fd: number): boolean {
    return this.fileAt(fd) !== undefined;
  }

  /** file_inode of an open fd, or undefined when `fd` is not open. */
  inodeOf(fd: number): object | undefined {
    return this.fileAt(fd)?.inode;
  }

  /** ioctl(fd, request, arg): 0 or -errno. */
  async ioctl(fd: number, request: number, arg: number): Promise<number> {
    const f = this.fileAt(fd);
    return f ? f.ioctl(request, arg) : -EBADF;
  }

  /** write(fd, buf, count): the bytes written, or -errno. */
  async write(fd: number, addr: number, count: number): Promise<number> {
    const f = this.fileAt(fd);
    return f ? f.write(addr, count) : -EBADF;
  }

  /** read(fd, addr, count): the bytes read into this process's memory at `addr`, or -errno. The emulation never blocks. */
  async read(fd: number, addr: number, count: number): Promise<number> {
    const f = this.fileAt(fd);
    return f ? f.read(addr, count) : -EBADF;
  }

  /** close(fd): the fd goes at once; the file is released (a uverbs file releases everything it owns). */
  async close(fd: number): Promise<number> {
    const f = this.fileAt(fd);
    if (!f) return -EBADF;
    this.fds.delete(fd);
    await f.release();
    return 0;
  }

  /** Reserves the lowest free fd for `file`, which the kernel is still making (get_unused_fd_flags). */
  reserveFd(file: File): number {
    const fd = this.freeFd();
    this.fds.set(fd, new Reserved(file));
    return fd;
  }

  /** Makes a reserved fd usable (fd_install). */
  installFd(fd: number): void {
    const f = this.fds.get(fd);
    if (!(f instanceof Reserved)) throw new Error(`internal: fd ${fd} is not reserved`);
    this.fds.set(fd, f.file);
  }

  /** Frees `fd` without releasing its file (put_unused_fd, or the fd of a file the kernel already released), if it still holds `file`. */
  releaseFd(fd: number, file: File): void {
    const f = this.fds.get(fd);
    if (f === file || (f instanceof Reserved && f.file === file)) this.fds.delete(fd);
  }
}
