// How findings are gathered: one per rule and place, whatever the number of paths to it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeSources } from '../src/analyze.js';

test('findings: a bad call reached with the lock from two sites is reported once, with the shorter path', async () => {
  const text = [
    "void fault(struct mm_struct *mm, struct pt_regs *regs, int __user *uaddr, unsigned long addr)",
    "{",
    "\tstruct vm_area_struct *vma;",
    "\tvm_fault_t fault;",
    "\tint v;",
    "",
    "\tif (!mmap_read_trylock(mm)) {",
    "\t\tif (!may_wait(addr))",
    "\t\t\treturn;",
    "retry:",
    "\t\tmmap_read_lock(mm);",
    "\t}",
    "\tvma = vma_lookup(mm, addr);",
    "\tif (!vma) {",
    "\t\tmmap_read_unlock(mm);",
    "\t\treturn;",
    "\t}",
    "\tget_user(v, uaddr);",
    "\tfault = handle_mm_fault(vma, addr, 0, regs);",
    "\tif (fault & VM_FAULT_COMPLETED)",
    "\t\treturn;",
    "\tif (fault & VM_FAULT_RETRY)",
    "\t\tgoto retry;",
    "\tmmap_read_unlock(mm);",
    "}",
    '',
  ].join('\n');
  const r = await analyzeSources([{ path: 'two-sites.c', text }]);
  const faults = r.findings.filter((f) => f.ruleId === 'fault-under-mmap-lock');
  assert.equal(faults.length, 1, JSON.stringify(faults.map((f) => f.message)));
  assert.equal(faults[0]!.line, 18);
  assert.match(faults[0]!.message, /taken at line 7/);
});
