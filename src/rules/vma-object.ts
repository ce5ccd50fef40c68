// Shared by the VMA write rules: is an expression a VMA (not a vm_region or anything else with a
// vm_start field), and is it one nothing else can reach yet?
import type { EventBase } from '../engine/events.js';
import { VMA_POINTER_TYPE } from '../kb/lock-api.js';

/** The expression's key names a VMA: declared `struct vm_area_struct *` here, or a VMA the engine tracks. */
export function isVma(ev: EventBase, key: string | null): key is string {
  if (!key) return false;
  if (ev.state.pointer(key)) return true;
  if (!/^\w+$/.test(key)) return false;
  const type = ev.typeOf(key);
  return !!type && VMA_POINTER_TYPE.test(type.trim());
}

/** A VMA from vm_area_alloc()/vm_area_dup() in this function: not in the tree yet. */
export function isFreshVma(ev: EventBase, key: string): boolean {
  return !!ev.state.pointer(key)?.fresh;
}
