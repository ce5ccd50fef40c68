// Function-like macros of a header written as C functions, so that they can be summarised like the
// header's static inlines: `kunmap_atomic(addr)` is a macro around `__kunmap_atomic()`, which
// enables the page faults `kmap_atomic()` disabled, and a call of it must do what its body does.
//
//   #define kunmap_atomic(__addr)          \        static inline void kunmap_atomic(long __addr) { do {
//   do {                                   \   ->   	BUILD_BUG_ON(...);
//   	...                                 \        	__kunmap_atomic(__addr);
//   } while (0)                                     } while (0) ; }
//
// Each macro stays on its own lines (the other lines are left empty), so that a trace into it
// points at the header as written; only the first line's columns move. Macros that stringify or
// paste tokens (`#`, `##`), loop headers (`for_each_vma()`: a `for`/`while` whose body is the
// caller's, read as iterators elsewhere), and those whose body calls nothing `wanted`, are left out.

export interface MacroFunctions {
  /** The header's text with only the chosen macros, each written as a function on its own lines. */
  text: string;
  names: string[];
}

const DEFINE = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)\(([^()]*)\)/;

/**
 * The function-like macros of `text` whose body calls a name `wanted` accepts, as functions. The
 * parameters are typed `long` (a macro's are untyped); `...` stays variadic.
 */
export function macroFunctions(text: string, wanted: (name: string) => boolean): MacroFunctions {
  const lines = text.split('\n');
  const out: string[] = lines.map(() => '');
  const names: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = DEFINE.exec(lines[i]);
    if (!m) continue;
    // The macro's lines: each one ending in a backslash continues on the next.
    let last = i;
    while (last < lines.length - 1 && /\\\s*$/.test(lines[last])) last++;
    const first = lines[i].slice(m[0].length);
    const body = [first, ...lines.slice(i + 1, last + 1)].map((l) => l.replace(/\\\s*$/, ''));
    const start = i;
    i = last;
    const joined = body.join('\n');
    if (/#/.test(joined) || !joined.trim() || /^\s*(?:for|while)\s*\(/.test(joined)) continue;
    const calls = [...joined.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)].map((c) => c[1]);
    if (!calls.some(wanted)) continue;
    const params = m[2].trim() === '' ? 'void' : m[2].split(',').map((p) => (p.trim() === '...' ? '...' : `long ${p.trim()}`)).join(', ');
    body[0] = `static inline void ${m[1]}(${params}) { ${body[0]}`;
    body[body.length - 1] += ' ; }';
    for (let k = 0; k < body.length; k++) out[start + k] = body[k];
    names.push(m[1]);
  }
  return { text: out.join('\n'), names };
}
