/**
 * idr, fd and raw_fd: an object named by a handle or an fd, with len 0. With access
 * `new` the kernel writes the new handle or fd back into the attribute's data.
 */
import type { AttrModel } from '../model.js';
import { attrS32, attrWords } from './attr-words.js';
import type { Renderer } from './kind.js';

const creates = (a: AttrModel): boolean => a.access === 'new';
const isFd = (a: AttrModel): boolean => a.kind !== 'idr';

export const object: Renderer = {
  inType: (a) => (creates(a) ? undefined : 'number'),
  inRequired: (a) => a.mandatory,
  outType: (a) => (creates(a) ? 'number' : undefined),
  size: () => '',
  encode: (a, x) => {
    if (creates(a)) return attrWords(a.id, 0, 0, '0', '0');
    return isFd(a) ? attrS32(a.id, x) : attrWords(a.id, 0, 0, `${x} >>> 0`, '0');
  },
  decodeIn: (a, target) => (creates(a) ? '' : `${target} = ${isFd(a) ? 'attrDataS32(v, at)' : 'v.getUint32(at + 8, true)'};`),
  decodeOut: (a, target) => (creates(a) ? `${target} = ${isFd(a) ? 'attrDataS32(v, at)' : 'v.getUint32(at + 8, true)'};` : ''),
  describe: (a) => (a.kind === 'raw_fd' ? 'in, a raw fd' : `${a.kind} of ${a.object === '*' ? 'any type' : a.object}, ${a.access} access`),
};
