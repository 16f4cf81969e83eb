/**
 * What the emulated core device's write() handlers share: the object types by id, the
 * lookups with write()'s answers turned into records, the context, and the commands
 * that only destroy (uobj_perform_destroy).
 */
import type { UverbsObjectId } from '../../../../generated/core/ids.js';
import type { TypeSpec } from '../../../kernel/contract.js';
import type { WriteHandler } from '../../../kernel/device.js';
import type { WriteBundle } from '../../../kernel/write-bundle.js';
import { Context } from '../context.js';
import { recordOf, type Base } from '../state.js';

/** The device's object type `id` (a core type: every device built on the core ABI has it). */
export function typeOf(wb: WriteBundle, id: UverbsObjectId): TypeSpec {
  const t = wb.device.type(id);
  if (!t) throw new Error(`device of driver ${wb.device.uapi.driver} has no object type ${id}`);
  return t;
}

/** uobj_get_obj_read: the record behind `handle`, read-locked until the command ends; EINVAL for any failure. */
export function readRecord<R extends Base<string>>(wb: WriteBundle, id: UverbsObjectId, handle: number, type: R['type']): R {
  return recordOf<R>(wb.read(typeOf(wb, id), handle), type);
}

/** ib_uverbs_get_ucontext: the file's context (EIO once the device is removed, EINVAL before GET_CONTEXT). */
export function writeContext(wb: WriteBundle): Context {
  const c = wb.context<unknown>();
  if (!(c instanceof Context)) throw new Error('the file holds a context the emulated core device did not make');
  return c;
}

/**
 * A command that only destroys (DEALLOC_PD and its kin): the request, the checks of its
 * other fields, then uobj_perform_destroy of the handle it names, with the lookup's
 * errno and the release hook's refusal (EBUSY) as they come.
 */
export function destroyCommand<T>(
  id: UverbsObjectId,
  decode: (v: DataView, o: number) => T,
  handle: (cmd: T) => number,
  check: (cmd: T) => void = () => {},
): WriteHandler {
  return (wb) => {
    const cmd = wb.request(decode);
    check(cmd);
    wb.destroy(typeOf(wb, id), handle(cmd));
  };
}

/** uverbs_response_length: how many bytes of a `size`-byte response the user's room takes. */
export function responseLength(wb: WriteBundle, size: number): number {
  return Math.min(wb.responseRoom, size);
}
