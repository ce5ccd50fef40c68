// Lock keys: which lock a fact is about, as a lock class and an instance path (the expression
// naming the object whose lock it is: `mm`, `vma->vm_mm`, `*vmap`), or the pseudo instance of a
// class that a callee may have dropped without the path knowing which (`forgottenKey`). A key is
// an interned string, so that states keep them in maps and sort them as before; only this module
// builds one or takes one apart.

import type { LockClass } from '../kb/lock-api.js';

declare const lockKeyBrand: unique symbol;

/** A lock key (see the file comment); build one with lockKeyFor() or forgottenKey(). */
export type LockKey = string & { readonly [lockKeyBrand]: true };

/** The instance of a forgotten key: some lock of the class, not known which. */
const FORGOTTEN_INSTANCE = '*';

interface Parts {
  lock: LockClass;
  instance: string;
}

const parts = new Map<string, Parts>();

/** The keys made, by class and instance: asked again, a key is found without building its text. */
const keysByClass = new Map<LockClass, Map<string, LockKey>>();

/** The key of the lock of class `lock` of the object `instance` names (canonical expression key). */
export function lockKeyFor(lock: LockClass, instance: string): LockKey {
  let byInstance = keysByClass.get(lock);
  if (!byInstance) keysByClass.set(lock, (byInstance = new Map()));
  let key = byInstance.get(instance);
  if (key === undefined) {
    key = `${lock}:${instance}` as LockKey;
    if (!parts.has(key)) parts.set(key, { lock, instance });
    byInstance.set(instance, key);
  }
  return key;
}

/** Pseudo lock key recording that a callee may have dropped some lock of a class on this path. */
export function forgottenKey(lock: LockClass): LockKey {
  return lockKeyFor(lock, FORGOTTEN_INSTANCE);
}

function partsOf(key: string): Parts {
  let p = parts.get(key);
  if (!p) {
    // A key made in another thread (a worker's summary) or read from the cache: class, then instance.
    const colon = key.indexOf(':');
    p = { lock: key.slice(0, colon) as LockClass, instance: key.slice(colon + 1) };
    parts.set(key, p);
  }
  return p;
}

/** The lock class of a key. */
export function lockClassOf(key: LockKey | string): LockClass {
  return partsOf(key).lock;
}

/** The instance path of a key (`vma->vm_mm`), `*` for a forgotten key. */
export function lockInstanceOf(key: LockKey | string): string {
  return partsOf(key).instance;
}

/** Is this a forgotten key (some lock of its class, dropped by a callee)? */
export function isForgottenKey(key: LockKey | string): boolean {
  return partsOf(key).instance === FORGOTTEN_INSTANCE;
}

/** Is the key a lock of class `lock` (the forgotten key of the class included)? */
export function isLockOf(key: LockKey | string, lock: LockClass): boolean {
  return partsOf(key).lock === lock;
}
