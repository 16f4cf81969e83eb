/**
 * Linux errno values the uverbs ABI answers with, and the error a runtime path or a
 * handler throws to end a command with one of them.
 */
export const EPERM = 1;
export const ENOENT = 2;
export const EIO = 5;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EBUSY = 16;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOTTY = 25;
export const ENOSPC = 28;
export const ERANGE = 34;
export const ENOSYS = 38;
export const ENODATA = 61;
export const EOVERFLOW = 75;
export const EPROTONOSUPPORT = 93;
export const EOPNOTSUPP = 95;
/** Kernel-internal "no such ioctl"; user space sees ENOTTY. */
export const ENOIOCTLCMD = 515;

const NAMES: Readonly<Record<number, string>> = {
  [EPERM]: 'EPERM', [ENOENT]: 'ENOENT', [EIO]: 'EIO', [EBADF]: 'EBADF', [EAGAIN]: 'EAGAIN', [ENOMEM]: 'ENOMEM', [EFAULT]: 'EFAULT',
  [EBUSY]: 'EBUSY', [ENODEV]: 'ENODEV', [EINVAL]: 'EINVAL', [ENOTTY]: 'ENOTTY', [ENOSPC]: 'ENOSPC', [ERANGE]: 'ERANGE',
  [ENOSYS]: 'ENOSYS', [ENODATA]: 'ENODATA', [EOVERFLOW]: 'EOVERFLOW', [EPROTONOSUPPORT]: 'EPROTONOSUPPORT', [EOPNOTSUPP]: 'EOPNOTSUPP', [ENOIOCTLCMD]: 'ENOIOCTLCMD',
};

export function errnoName(errno: number): string {
  return NAMES[errno] ?? `errno ${errno}`;
}

/** Ends a command with `errno`; `reason` says why, for tests and logs (never sent to user space). */
export class UverbsError extends Error {
  constructor(
    readonly errno: number,
    readonly reason: string,
  ) {
    super(`${errnoName(errno)}: ${reason}`);
    this.name = 'UverbsError';
  }
}

export function fail(errno: number, reason: string): never {
  throw new UverbsError(errno, reason);
}
