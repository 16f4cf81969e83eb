/**
 * What a process's fd table holds: an open file with its operations (struct file and
 * its file_operations). The process only routes syscalls to them; what a uverbs file,
 * an object's fd or a regular file does is theirs.
 */
import { EBADF, ENOTTY } from '../abi/errno.js';

/** An open file: the syscalls on its fds, answering as the kernel does (a count, 0, or -errno). */
export interface File {
  /** file_inode: what every open of the same file shares. */
  readonly inode: object;
  ioctl(request: number, arg: number): Promise<number>;
  /** write(2) of `count` bytes at `addr` of the process's memory. */
  write(addr: number, count: number): Promise<number>;
  /** read(2) of at most `count` bytes into the process's memory at `addr`. */
  read(addr: number, count: number): Promise<number>;
  /** The last close of the file (release): after it, no syscall reaches it. */
  release(): void | Promise<void>;
}

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

/** A regular file, of which only the inode matters here: its contents are not modelled. */
export class RegularFile implements File {
  constructor(readonly inode: Inode) {}

  async ioctl(): Promise<number> {
    return -ENOTTY;
  }

  /** Open read-only here. */
  async write(): Promise<number> {
    return -EBADF;
  }

  /** An empty file, at its end. */
  async read(): Promise<number> {
    return 0;
  }

  release(): void {}
}
