// FNV-1a over a string's UTF-16 code units: a fast, well-spread 32-bit hash for in-memory keys
// (a path state's identity, src/engine/state-identity.ts; a file's facts shard,
// src/run/facts-cache.ts). Not for anything an attacker chooses or that must not collide.

/** FNV-1a of a string, continuing from `h` (its offset basis by default); unsigned. */
export function fnv1a(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
