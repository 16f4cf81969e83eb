/**
 * uverbs-abi: the user side of the uverbs ABI. The ioctl buffer encoders write into
 * and decoders read from, user pointers, the write() buffer, the transports a client
 * runs over, the error a refused call throws, errno names and the wire constants.
 * The generated ABI of each driver is in uverbs-abi/core and uverbs-abi/mlx5.
 */
export { IoctlBuffer, UserPtr, isUserPtr, alignUp8, DEFAULT_BUFFER_ADDR, type UserMemoryReader } from './user/ioctl-buffer.js';
export { writeLayout, writeResponse, type WriteCommandInfo, type WriteLayout, type WriteResponse } from './user/write-buffer.js';
export { UverbsCallError, type Transport, type TransportMemory } from './user/transport.js';
export { inProcess } from './process/in-process.js';
export type { CallerOptions } from './user/buffer-pool.js';
export type { WriteCallerOptions, WriteRoute } from './user/write-caller.js';
export {
  EPERM, ENOENT, EIO, EBADF, EAGAIN, ENOMEM, EFAULT, EBUSY, ENODEV, EINVAL, ENOTTY, ENOSPC, ERANGE, ENOSYS, ENODATA, EOVERFLOW,
  EPROTONOSUPPORT, EOPNOTSUPP, errnoName,
} from './abi/errno.js';
export * from './abi/wire.js';
