// What kernel C puts around a function's name, for every place that reads a name from a
// declaration (the prescan, the syntax-tree function info, the __noreturn scan).

/** Attribute macros that may stand next to a function's name, most with their own parentheses. */
const ATTRIBUTE_MACROS = new Set([
  '__attribute__', '__printf', '__scanf', '__section', '__aligned', '__alias', '__must_hold', '__acquires', '__releases',
  '__cond_acquires', '__cond_releases', '__diagnose_as', '__alloc_size', '__realloc_size', '__malloc', '__assume_aligned',
  '__counted_by', '__nocfi', '__designated_init', 'asmlinkage', '__visible', 'alignas', '_Alignas', '__declspec',
]);

export function isAttributeMacro(name: string): boolean {
  return ATTRIBUTE_MACROS.has(name) || /^__diag_\w+$|^__no_sanitize_\w+$/.test(name);
}

/**
 * The name of a function defined with SYSCALL_DEFINEn(name, ...) or COMPAT_SYSCALL_DEFINEn:
 * sys_name or compat_sys_name; null for any other macro or name.
 */
export function syscallName(macro: string, firstArgument: string | null | undefined): string | null {
  const m = /^(COMPAT_)?SYSCALL_DEFINE\d$/.exec(macro);
  return m && firstArgument ? `${m[1] ? 'compat_' : ''}sys_${firstArgument}` : null;
}
