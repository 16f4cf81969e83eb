/**
 * uverbs-abi/kernel: the in-process kernel. A Process (address space and fd table)
 * opens registered devices; their files run actions and write() commands through the
 * dispatchers, over uobjects, the IDR and the non-blocking locks, with the kernel
 * tables the generated uapi.ts of each driver fills (the contract). The emulated
 * devices are in uverbs-abi/emulated.
 */
export { Process, type CharDevice } from '../process/process.js';
export { Inode, RegularFile, type File } from '../process/file.js';
export { UserMemory, type InputBytes, type Mapping } from '../process/user-memory.js';
export { registerDevice, uverbsFileAt } from './char-device.js';
export { Device, type DeviceOpen, type DeviceOps, type Handler, type TypeOps, type WriteHandler } from './device.js';
export { UverbsFile } from './uverbs-file.js';
export { ObjectFile, objectAt } from './object-file.js';
export { RemoveReason, UObject, UObjectState, type RemoveReasonId, type UObjectStateId } from './uobject.js';
export { lookupUObject } from './lookup.js';
export { Bundle } from './bundle.js';
export { WriteBundle } from './write-bundle.js';
export { Udata } from './udata.js';
export { dispatch } from './dispatch.js';
export { dispatchWrite, invokeWrite, writeMethod, type InvokeWriteIds } from './write-dispatch.js';
export { MAX_ACTION_ATTRS } from './action-plan.js';
export * from './contract.js';
export { UverbsError, fail } from '../abi/errno.js';
