// The tree is the source of truth: kernel features read from struct vm_area_struct, knowledge-base
// entries checked against the tree's declarations, function-like macros read as functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { factsOfVmaStruct, structBody } from '../src/tree-facts.js';
import { describeDeclaration, describeEntry, findDeclarations, fitEntry } from '../src/kb/declarations.js';
import { lookupApi } from '../src/kb/lock-api.js';
import { macroFunctions } from '../src/parse/macro-functions.js';
import { analyzeSources } from '../src/analyze.js';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ResultCache } from '../src/cache.js';
import { kernelHeaderDeclarations } from '../src/header-summaries.js';

test('tree facts: vm_flags const or plain, per-VMA locks or none, from struct vm_area_struct', () => {
  const old = structBody('struct vm_area_struct {\n\tunsigned long vm_start;\n\tunsigned long vm_flags;\t/* Flags, see mm.h; vm_lock */\n};', 'vm_area_struct')!;
  assert.deepEqual(factsOfVmaStruct(old), { vmFlagsReadOnly: false, perVmaLocks: false }, 'a field named in a comment is no field');
  const union = structBody('struct vm_area_struct {\n\tunion {\n\t\tconst vm_flags_t vm_flags;\n\t\tvm_flags_t __private __vm_flags;\n\t};\n#ifdef CONFIG_PER_VMA_LOCK\n\tunsigned int vm_lock_seq;\n#endif\n};', 'vm_area_struct')!;
  assert.deepEqual(factsOfVmaStruct(union), { vmFlagsReadOnly: true, perVmaLocks: true });
  const refcount = structBody('struct vm_area_struct {\n\tconst vm_flags_t vm_flags;\n\trefcount_t vm_refcnt ____cacheline_aligned_in_smp;\n};', 'vm_area_struct')!;
  assert.equal(factsOfVmaStruct(refcount).perVmaLocks, true);
  assert.equal(structBody('struct mm_struct { int x; };', 'vm_area_struct'), null);
});

const gup61 = `/* comment */
static long __get_user_pages_locked(struct mm_struct *mm, unsigned long start,
		unsigned long nr_pages, struct page **pages,
		struct vm_area_struct **vmas, int *locked,
		unsigned int flags)
{
	return 0;
}`;

test('declarations: an entry whose parameter the tree has elsewhere is moved there', () => {
  const [decl] = findDeclarations(gup61, '__get_user_pages_locked', 'mm/gup.c');
  assert.equal(decl.line, 2);
  assert.equal(decl.isStatic, true);
  assert.deepEqual(decl.params[5], { type: 'int *', name: 'locked' });
  const entry = lookupApi('__get_user_pages_locked')!;
  const fit = fitEntry(entry, decl)!;
  assert.notEqual(fit, entry);
  assert.equal(fit.lock![0].ifFlagSet, 5);
  assert.deepEqual(fit.flagStaysClear, [5]);
  assert.equal(describeEntry(entry), '__get_user_pages_locked(_, _, _, _, locked)');
});

test('declarations: a declaration that fits keeps the entry; one that does not drops it', () => {
  const header = `
/* vma_start_read(vma) - kernel-doc */
static inline bool vma_start_read(struct vm_area_struct *vma)
{
	return vma_start_read_locked(vma);
}
extern vm_fault_t handle_mm_fault(struct vm_area_struct *vma,
			   unsigned long address, unsigned int flags,
			   struct pt_regs *regs);
`;
  const decls = findDeclarations(header, (name) => !!lookupApi(name), 'include/linux/mm.h');
  assert.deepEqual(decls.map((d) => d.name), ['vma_start_read', 'handle_mm_fault'], 'the call inside the body is no declaration');
  for (const d of decls) assert.equal(fitEntry(lookupApi(d.name)!, d), lookupApi(d.name));
  const [newer] = findDeclarations('static inline struct vm_area_struct *vma_start_read(struct mm_struct *mm,\n\t\t\t\t\t\t    struct vm_area_struct *vma)\n{\n}', 'vma_start_read', 'mm/mmap_lock.c');
  assert.equal(fitEntry(lookupApi('vma_start_read')!, newer), null, 'returns a VMA where the entry reads a truth value');
  assert.equal(describeDeclaration(newer), 'vma_start_read(struct mm_struct *mm, struct vm_area_struct *vma)');
  const [other] = findDeclarations('int mmap_read_lock_killable(struct rw_semaphore *sem);', 'mmap_read_lock_killable', 'x.h');
  assert.equal(fitEntry(lookupApi('mmap_read_lock_killable')!, other), null, 'no mm among the parameters');
});

test('macro functions: a function-like macro becomes a function on its own lines', () => {
  const text = 'int x;\n#define kunmap_atomic(__addr)\t\\\ndo {\t\t\t\\\n\t__kunmap_atomic(__addr);\t\\\n} while (0)\n#define other(a) a ## b\n';
  const m = macroFunctions(text, (name) => name === '__kunmap_atomic');
  assert.deepEqual(m.names, ['kunmap_atomic']);
  const lines = m.text.split('\n');
  assert.equal(lines.length, text.split('\n').length);
  assert.match(lines[1], /^static inline void kunmap_atomic\(long __addr\) \{/);
  assert.match(lines[3], /__kunmap_atomic\(__addr\);/);
  assert.match(lines[4], /\} while \(0\) ; \}$/);
  assert.equal(lines[0], '');
});

test('declarations: a mismatch is a note naming the entry and the declaration, and a --stats counter', async () => {
  const text = 'static inline struct vm_area_struct *vma_start_read(struct mm_struct *mm, struct vm_area_struct *vma)\n{\n\treturn vma;\n}\n';
  const r = await analyzeSources([{ path: 'lib/x.c', text }], { jobs: 1 });
  assert.equal(r.stats.kbEntriesNotMatching, 1);
  assert.deepEqual(
    r.notifications.map((n) => `${n.level}: ${n.message}`),
    ['note: knowledge-base entry vma_start_read(vma) does not match the tree\'s vma_start_read(struct mm_struct *mm, struct vm_area_struct *vma) (lib/x.c:1): read from the source'],
  );
});

test('declarations: the kernel headers\' are kept in the cache under their content, found again when a header changes', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'vmalint-decls-'));
  await mkdir(path.join(root, 'include', 'linux'), { recursive: true });
  const mm = path.join(root, 'include', 'linux', 'mm.h');
  await writeFile(mm, 'static inline bool vma_start_read(struct vm_area_struct *vma)\n{\n\treturn true;\n}\n');
  const cache = ResultCache.open(path.join(root, 'cache'), {});
  assert.ok(cache instanceof ResultCache);
  const first = kernelHeaderDeclarations(root, cache);
  assert.deepEqual(first.map((d) => d.returns), ['bool']);
  const stores = cache.stores;
  assert.deepEqual(kernelHeaderDeclarations(root, cache), first, 'the same, from the cache');
  assert.equal(cache.stores, stores, 'nothing found again, nothing stored');
  await writeFile(mm, 'static inline struct vm_area_struct *vma_start_read(struct mm_struct *mm, struct vm_area_struct *vma)\n{\n\treturn vma;\n}\n');
  assert.deepEqual(kernelHeaderDeclarations(root, cache).map((d) => d.returns), ['struct vm_area_struct *'], 'the changed header is read again');
  assert.equal(cache.stores, stores + 1);
});
