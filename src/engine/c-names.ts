// What kernel C puts around a function's name, for every place that reads a name from a
// declaration (the prescan, the syntax-tree function info, the __noreturn scan).

/**
 * The kernel's attribute macros that take arguments (`__printf(3, 4)`, `__section(".x")`,
 * `__must_hold(&l)`): the C grammar cannot read them in a declaration, so the parser's input has
 * them blanked (src/parse/attribute-macros.ts).
 */
export const ATTRIBUTE_MACROS_WITH_ARGUMENTS = [
  '__printf', '__scanf', '__section', '__aligned', '__alias', '__must_hold', '__acquires', '__releases', '__cond_acquires',
  '__cond_releases', '__diagnose_as', '__alloc_size', '__realloc_size', '__assume_aligned',
];

/** Attribute macros that may stand next to a function's name, most with their own parentheses. */
const ATTRIBUTE_MACROS = new Set([
  '__attribute__', ...ATTRIBUTE_MACROS_WITH_ARGUMENTS, '__malloc', '__counted_by', '__nocfi', '__designated_init', 'asmlinkage',
  '__visible', 'alignas', '_Alignas', '__declspec',
]);

/** A name in kernel constant style (`TX_CPU_BASE`, `EFAULT`, `FOLL_WRITE`): a macro or enum constant. */
export function isNamedConstant(name: string): boolean {
  return /^[A-Z][A-Z0-9_]*$/.test(name);
}

export function isAttributeMacro(name: string): boolean {
  return ATTRIBUTE_MACROS.has(name) || /^__diag_\w+$|^__no_sanitize_\w+$/.test(name);
}

/**
 * Macros that define a function: SYSCALL_DEFINEn(name, type, arg, ...), COMPAT_SYSCALL_DEFINEn
 * and BPF_CALL_n(name, type, arg, ...), n the number of parameters.
 */
export const DEFINITION_MACRO = /^(?:(?:COMPAT_)?SYSCALL_DEFINE[0-6]|BPF_CALL_[0-5])$/;

/**
 * The name of the function a definition macro defines, given its first argument: sys_name,
 * compat_sys_name, or the name itself for BPF_CALL_n; null for any other macro or name.
 */
export function definitionMacroName(macro: string, firstArgument: string | null | undefined): string | null {
  if (!firstArgument || !DEFINITION_MACRO.test(macro)) return null;
  if (macro.startsWith('BPF_CALL_')) return firstArgument;
  return `${macro.startsWith('COMPAT_') ? 'compat_' : ''}sys_${firstArgument}`;
}

/**
 * The names called or declared as functions (a name before `(`) inside `extern` declarations of a
 * C text (from `extern` to the next `;`, `{` or `}`): one pass over the text, whatever the number
 * of names asked about.
 */
export function externFunctionNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const declaration of text.matchAll(/\bextern\b[^;{}]*/g)) {
    for (const m of declaration[0].matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) names.add(m[1]!);
  }
  return names;
}

/** A character code of a C name, [A-Za-z0-9_] (what `\w` matches; NaN, past either end of a text, is not). */
export function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}
