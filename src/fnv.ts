/** FNV-1a (32 bits) of `text`'s UTF-16 code units, starting from `seed` (FNV's offset basis unless given). */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let hash = seed;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
