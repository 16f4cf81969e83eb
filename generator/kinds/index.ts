import type { AttrKind } from '../model.js';
import { enumIn } from './enum-in.js';
import { idrsArray } from './idrs-array.js';
import type { Renderer } from './kind.js';
import { object } from './object.js';
import { ptrIn } from './ptr-in.js';
import { ptrOut } from './ptr-out.js';
import { constIn, flagsIn } from './scalar-in.js';

/** Every attribute kind's renderer. */
export const renderers: Readonly<Record<AttrKind, Renderer>> = {
  ptr_in: ptrIn,
  ptr_out: ptrOut,
  const_in: constIn,
  flags_in: flagsIn,
  enum_in: enumIn,
  idr: object,
  fd: object,
  raw_fd: object,
  idrs_array: idrsArray,
};

export type { Renderer };
