// Kernel macros that define a function in a form the C grammar cannot read, rewritten before
// parsing into C that it can, with the same length so that every offset, row and column still
// points into the file as written.
//
// SYSCALL_DEFINEn(name, type1, arg1, ..., typen, argn) { ... } (n >= 1), and BPF_CALL_n of the
// same shape, separate each parameter's type from its name with a comma and have no return
// type: tree-sitter reads them as a call followed by a block, and the body is never seen as a
// function. It becomes
//   long           name( type1  arg1, ..., typen  argn) { ... }
// where the name and every parameter stay at their offsets (what the syntax tree reads of them
// is the file's own text); only the macro's name, its parenthesis and the comma of each pair
// change. functionInfo() recognises the macro in the definition's text and names the function
// (sys_name for a syscall, see c-names.ts). SYSCALL_DEFINE0(name) already reads as a definition
// without a return type.

const MACRO_DEFINITION = /^([ \t]*)((?:(?:COMPAT_)?SYSCALL_DEFINE|BPF_CALL_)([1-6])\()(\s*\w+\s*),([^()]*)\)(?=\s*\{)/gm;

export function rewriteDefinitionMacros(text: string): string {
  if (!text.includes('SYSCALL_DEFINE') && !text.includes('BPF_CALL_')) return text;
  return text.replace(MACRO_DEFINITION, (whole, indent: string, macro: string, count: string, name: string, args: string) => {
    const parts = args.split(',');
    if (parts.length !== 2 * Number(count)) return whole;
    let params = '';
    for (let i = 0; i < parts.length; i += 2) params += `${i ? ',' : ''}${parts[i]} ${parts[i + 1]}`;
    return `${indent}${'long'.padEnd(macro.length)}${name}(${params})`;
  });
}
