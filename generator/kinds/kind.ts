/**
 * What every attribute kind renders. One module per kind owns all of them: the
 * caller's input type, the output type, the encoder's sizing and writing code, the
 * decoders, and the one-line description the docs show.
 *
 * Generated encoders run in two passes: the first counts attributes (`n`) and sums
 * payload bytes (`extra`), the second writes the attribute at `at` and any payload at
 * `p` (advancing `p`). `v` is the buffer's DataView, `b` its bytes, `buf` the buffer.
 */
import type { AttrModel } from '../model.js';

export interface Renderer {
  /** The caller's input field type, or undefined when the caller gives nothing. */
  inType(a: AttrModel): string | undefined;
  /** Whether the input field is required (else the attribute is sent only when given). */
  inRequired(a: AttrModel): boolean;
  /** The decoded output type, or undefined when the kernel writes nothing back. */
  outType(a: AttrModel): string | undefined;
  /** Pass 1: statements adding payload bytes to `extra`; '' when the data is inline. */
  size(a: AttrModel, x: string): string;
  /** Pass 2: statements writing the attribute at `at` with flags `f`. */
  encode(a: AttrModel, x: string): string;
  /** Statements assigning the input value read from the attribute at `at` to `target`. */
  decodeIn(a: AttrModel, target: string, what: string): string;
  /** Statements assigning the output value read from the attribute at `at` to `target`. */
  decodeOut(a: AttrModel, target: string, what: string): string;
  /** A short description for docs: kind, size, access. */
  describe(a: AttrModel): string;
}


