// The inversion operator: a lock that a file_operations.mmap handler takes (so it is taken under
// the mmap write lock) gets a user copy under it elsewhere in the file: the copy can fault and
// take the mmap lock under that lock, the other order (an ABBA deadlock lockdep reports).

import type { AstNode } from '../../src/parse/ast.js';
import { callShape, callStatement, ifCondition, ifOnlyLeaves, type FunctionShape, type ParsedFile } from './source.js';
import type { Mutant, MutationOperator } from './operators.js';
import { lineAt } from '../../src/parse/ast.js';
import { KERNEL_LOCK_CALLS } from '../../src/kb/kernel-locks.js';
import { appendToLine } from './edit.js';

/** The knowledge base's blocking mutex and rwsem acquisitions (mutex_lock(), down_read_killable(), ...), not trylocks. */
const SLEEPING_LOCKS: ReadonlySet<string> = new Set([...KERNEL_LOCK_CALLS].filter(([, c]) => c.op === 'acquire' && (c.kind === 'mutex' || c.kind === 'rwsem') && !c.trylock && !c.className && !c.nested).map(([name]) => name));
const COPY = 'vmalint_mutant_left = copy_to_user(vmalint_mutant_ubuf, vmalint_mutant_kbuf, 1);';

/** A statement taking a sleeping lock unconditionally (or leaving when interrupted): the lock's argument. */
function takenLock(s: AstNode): { name: string; lock: string } | null {
  const call = callStatement(s);
  if (call && SLEEPING_LOCKS.has(call.name) && call.args.length === 1) return { name: call.name, lock: call.args[0]!.replace(/\s+/g, '') };
  if (s.type === 'if_statement' && ifOnlyLeaves(s)) {
    const c = ifCondition(s);
    const k = c ? callShape(c) : null;
    if (k && SLEEPING_LOCKS.has(k.name) && k.args.length === 1) return { name: k.name, lock: k.args[0]!.replace(/\s+/g, '') };
  }
  return null;
}

function locksTaken(fn: FunctionShape): { name: string; lock: string; at: AstNode }[] {
  const out: { name: string; lock: string; at: AstNode }[] = [];
  for (const block of fn.blocks) {
    for (const s of block) {
      const t = takenLock(s);
      if (t) out.push({ ...t, at: s });
    }
  }
  return out;
}

export const copyUnderMmapHandlerLock: MutationOperator = {
  id: 'copy-under-mmap-handler-lock',
  summary: 'add a user copy under a lock that an ->mmap handler takes (ABBA against mmap_lock)',
  rules: ['mmap-lock-inversion'],
  tokens: ['.mmap'],
  mutants(file: ParsedFile): Mutant[] {
    const out: Mutant[] = [];
    const handlers = new Set<string>();
    for (const m of file.text.matchAll(/\.mmap\s*=\s*(\w+)\s*,/g)) handlers.add(m[1]!);
    for (const handler of handlers) {
      const h = file.functions.find((f) => f.name === handler);
      if (!h) continue;
      for (const taken of locksTaken(h)) {
        let placed = false;
        for (const fn of file.functions) {
          if (fn === h) continue;
          for (const other of locksTaken(fn)) {
            if (other.lock !== taken.lock) continue;
            placed = true;
            out.push({
              operator: this.id,
              file: file.path,
              relative: file.relative,
              function: fn.name,
              line: lineAt(file, other.at.start),
              description: `copy_to_user() under ${other.name}(${other.lock}), which the ->mmap handler ${handler}() takes`,
              text: appendToLine(file.text, other.at.end, COPY),
            });
          }
        }
        // A global lock nobody else takes: a new ioctl-like function takes it around a copy.
        if (!placed && /^&\w+$/.test(taken.lock)) {
          const unlock = taken.name.startsWith('mutex') ? 'mutex_unlock' : taken.name.startsWith('down_read') ? 'up_read' : 'up_write';
          const fn = `static long vmalint_mutant_ioctl(void) { ${taken.name.startsWith('mutex') ? 'mutex_lock' : taken.name.replace(/_killable$/, '')}(${taken.lock}); ${COPY} ${unlock}(${taken.lock}); return 0; }`;
          out.push({
            operator: this.id,
            file: file.path,
            relative: file.relative,
            function: 'vmalint_mutant_ioctl',
            line: lineAt(file, h.node.start),
            description: `a new function copying to user memory under ${taken.lock}, which the ->mmap handler ${handler}() takes`,
            text: appendToLine(file.text, h.node.end - 1, fn),
          });
        }
      }
    }
    return out;
  },
};
