/**
 * The uverbs char device (uverbs_main.c): registering a device gives it the node
 * /dev/infiniband/uverbsN, whose open() makes a uverbs file and whose file operations
 * route ioctl() to the action dispatcher and write() to the write() dispatcher.
 */
import { EINVAL, EIO } from '../abi/errno.js';
import type { File } from '../process/file.js';
import type { Process } from '../process/process.js';
import type { UapiSpec } from './contract.js';
import { Device, type DeviceOps } from './device.js';
import { dispatch } from './dispatch.js';
import { UverbsFile } from './uverbs-file.js';
import { dispatchWrite } from './write-dispatch.js';

/** A device with its uverbs node (ib_register_device, then ib_uverbs_add_one): processes can open it. */
export function registerDevice(uapi: UapiSpec, ops: DeviceOps, state?: unknown): Device {
  return new Device(uapi, ops, openUverbs, state);
}

/** ib_uverbs_open: a new uverbs file, or EIO once the device is removed. */
function openUverbs(device: Device, process: Process): File | number {
  return device.removed ? -EIO : new UverbsFd(new UverbsFile(device, process));
}

/** What the process's fd holds for an open of the node: uverbs_fops over the uverbs file. */
class UverbsFd implements File {
  constructor(readonly file: UverbsFile) {}

  /** Every open of the device shares its node. */
  get inode(): object {
    return this.file.device;
  }

  /** ib_uverbs_ioctl: RDMA_VERBS_IOCTL runs an action. */
  ioctl(request: number, arg: number): Promise<number> {
    return dispatch(this.file, request, arg);
  }

  /** ib_uverbs_write: a write() command. */
  write(addr: number, count: number): Promise<number> {
    return dispatchWrite(this.file, addr, count);
  }

  /** uverbs_fops has no read. */
  async read(): Promise<number> {
    return -EINVAL;
  }

  /** ib_uverbs_close. */
  release(): Promise<void> {
    return this.file.close();
  }
}

/** The uverbs file behind `fd` of `process`, if it is one. */
export function uverbsFileAt(process: Process, fd: number): UverbsFile | undefined {
  const f = process.fileAt(fd);
  return f instanceof UverbsFd ? f.file : undefined;
}
