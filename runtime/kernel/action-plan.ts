/**
 * What a device works out once per action, so that the dispatcher's hot path does not
 * (the kernel's uapi_finalize, which gives every method its attribute keys, its
 * mandatory bitmap and its destroy key when a device registers): the handler, the
 * bundle slots of the mandatory attributes as a bitmap, the destroy slot, the UHW_OUT
 * slot, and the type of each object attribute.
 */
import { Access, lookup, type ActionSpec, type TypeSpec } from './contract.js';
import { UVERBS_ATTR_UHW_OUT } from '../abi/wire.js';

/**
 * The most attributes an action may declare: the kernel keys a method's attributes in
 * 6 bits (UVERBS_API_ATTR_BKEY_LEN, 63), and a bundle records which were given in a
 * 64-bit bitmap, here two 32-bit words.
 */
export const MAX_ACTION_ATTRS = 63;

export class ActionPlan<H = unknown> {
  /** Mandatory slots 0..31, one bit each. */
  readonly mandatoryLo: number;
  /** Mandatory slots 32..63, one bit each (bit k for slot 32 + k). */
  readonly mandatoryHi: number;
  /** Slot of the destroy attribute, or -1: the only actions a removed device still runs. */
  readonly destroySlot: number;
  /** Slot of UHW_OUT (the driver's response), or -1 when the action has none. */
  readonly uhwOutSlot: number;
  /** Per slot: the type an idr or fd attribute names; undefined for other kinds and for ANY_OBJECT. */
  readonly objTypes: readonly (TypeSpec | undefined)[];

  constructor(
    readonly action: ActionSpec,
    /** The device's implementation of the action. */
    readonly handler: H,
    typeOf: (id: number) => TypeSpec | undefined,
  ) {
    if (action.attrs.length > MAX_ACTION_ATTRS) {
      throw new Error(`action ${action.name} declares ${action.attrs.length} attributes; the kernel keys at most ${MAX_ACTION_ATTRS} per method`);
    }
    let lo = 0;
    let hi = 0;
    for (const slot of action.mandatory) {
      if (slot < 32) lo |= 1 << slot;
      else hi |= 1 << (slot - 32);
    }
    this.mandatoryLo = lo;
    this.mandatoryHi = hi;
    const o = action.objectSlot;
    this.destroySlot = o >= 0 && action.attrs[o]!.access === Access.DESTROY ? o : -1;
    this.uhwOutSlot = lookup(action.byId, UVERBS_ATTR_UHW_OUT)?.index ?? -1;
    this.objTypes = action.attrs.map((s) => (s.objType >= 0 ? typeOf(s.objType) : undefined));
  }
}
