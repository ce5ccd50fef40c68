// The kernel's other locks as data: mutexes, rwsems that are not an mm's, spinlocks, rwlocks, the
// folio lock, the inode and mapping locks, the anon_vma lock, the hugetlb VMA lock, reservation
// (ww) mutexes; and the calls that disable preemption or interrupts. The mmap lock and the VMA
// locks are declared in lock-classes.ts, where their balance and requirements are modelled; a
// lock here is tracked for its class (lockdep's notion: which lock it is, for ordering) and for
// the atomic context it makes. The engine's model is src/engine/models/kernel-locks.ts.
// Source of truth: include/linux/mutex.h, rwsem.h, spinlock.h, rwlock.h, pagemap.h, fs.h, mm.h,
// rmap.h, hugetlb.h, dma-resv.h, ww_mutex.h, preempt.h, irqflags.h.

/** dma_resv_lock(obj, ctx) locks `obj->lock`, a reservation object's ww_mutex. */
const DMA_RESV_LOCK = { name: 'lock', cls: 'struct dma_resv::lock' };

/**
 * User accesses that do not call might_fault() (`__get_user()`, `__put_user()`, the `unsafe_`
 * forms): used where the caller made the context atomic on purpose, their fault fails fast there
 * instead of sleeping (faulthandler_disabled()).
 */
export const ATOMIC_SAFE_ACCESSES: ReadonlySet<string> = new Set(['__get_user', '__put_user', 'unsafe_get_user', 'unsafe_put_user', '__get_user_error', '__put_user_error', 'get_user_nofault', 'copy_from_user_nofault', 'copy_to_user_nofault']);

/** What kind of lock it is: whether holding it makes the context atomic (no sleeping, no faulting). */
export const KERNEL_LOCK_KINDS = ['mutex', 'rwsem', 'spinlock', 'rwlock', 'folio', 'ww_mutex', 'atomic'] as const;
export type KernelLockKind = (typeof KERNEL_LOCK_KINDS)[number];

export interface KernelLockCall {
  op: 'acquire' | 'release';
  kind: KernelLockKind;
  /** Exclusive or shared. */
  mode: 'write' | 'read';
  /** The argument naming the lock (a pointer to it: `&x->lock`, `folio`, `inode`). */
  arg: number;
  /**
   * When it is taken: always; when the call returns 0 (`_killable`, `_interruptible`: -EINTR
   * otherwise); when it returns true (trylocks).
   */
  when?: 'ret-zero' | 'ret-true';
  /** A trylock: never waits, so it adds no lock order (lockdep). */
  trylock?: boolean;
  /** A nesting annotation (`mutex_lock_nested`): lockdep gives it a subclass; no order here. */
  nested?: boolean;
  /**
   * The class, named as the kernel's lock-order comments name it, when the call fixes it
   * (`inode_lock()`: `i_rwsem`); otherwise it comes from the argument (lockdep-style).
   */
  className?: string;
  /**
   * The argument points to a pointer to the lock (`pte_offset_map_lock(..., &ptl)`): the lock is `*ptl`.
   */
  throughPointer?: boolean;
  /**
   * The lock is this field of the object the argument points to, of this class
   * (`dma_resv_lock(obj, ctx)` locks `obj->lock`, a `struct dma_resv::lock`).
   */
  field?: { name: string; cls: string };
}

/** Acquire and release forms of one lock family: `mode` and `kind` apply to all. */
function family(kind: KernelLockKind, mode: 'write' | 'read', acquire: string[], release: string[], extra: Partial<KernelLockCall> = {}): [string, KernelLockCall][] {
  return [
    ...acquire.map((n): [string, KernelLockCall] => [n, { op: 'acquire', kind, mode, arg: 0, ...extra }]),
    ...release.map((n): [string, KernelLockCall] => [n, { op: 'release', kind, mode, arg: 0, ...extra }]),
  ];
}

function calls(kind: KernelLockKind, mode: 'write' | 'read', names: string[], shape: Partial<KernelLockCall>): [string, KernelLockCall][] {
  return names.map((n) => [n, { op: 'acquire', kind, mode, arg: 0, ...shape }]);
}

const SPIN_ACQUIRE = ['spin_lock', 'spin_lock_irq', 'spin_lock_bh', 'spin_lock_irqsave', 'raw_spin_lock', 'raw_spin_lock_irq', 'raw_spin_lock_bh', 'raw_spin_lock_irqsave'];
const SPIN_RELEASE = ['spin_unlock', 'spin_unlock_irq', 'spin_unlock_bh', 'spin_unlock_irqrestore', 'raw_spin_unlock', 'raw_spin_unlock_irq', 'raw_spin_unlock_bh', 'raw_spin_unlock_irqrestore'];

/** Every lock call, by name. */
export const KERNEL_LOCK_CALLS: ReadonlyMap<string, KernelLockCall> = new Map<string, KernelLockCall>([
  ...family('mutex', 'write', ['mutex_lock', 'mutex_lock_io'], ['mutex_unlock']),
  ...calls('mutex', 'write', ['mutex_lock_interruptible', 'mutex_lock_killable'], { when: 'ret-zero' }),
  ...calls('mutex', 'write', ['mutex_lock_nested', 'mutex_lock_io_nested'], { nested: true }),
  ...calls('mutex', 'write', ['mutex_lock_interruptible_nested', 'mutex_lock_killable_nested'], { nested: true, when: 'ret-zero' }),
  ...calls('mutex', 'write', ['mutex_trylock'], { trylock: true, when: 'ret-true' }),
  // rwsems: the mm's own (`mm->mmap_lock`, a VMA's) are the mmap and VMA lock classes, not these.
  ...family('rwsem', 'read', ['down_read'], ['up_read']),
  ...family('rwsem', 'write', ['down_write'], ['up_write']),
  ...calls('rwsem', 'read', ['down_read_killable', 'down_read_interruptible'], { when: 'ret-zero' }),
  ...calls('rwsem', 'write', ['down_write_killable'], { when: 'ret-zero' }),
  ...calls('rwsem', 'read', ['down_read_nested'], { nested: true }),
  ...calls('rwsem', 'write', ['down_write_nested'], { nested: true }),
  ...calls('rwsem', 'read', ['down_read_trylock'], { trylock: true, when: 'ret-true' }),
  ...calls('rwsem', 'write', ['down_write_trylock'], { trylock: true, when: 'ret-true' }),
  ...family('spinlock', 'write', SPIN_ACQUIRE, SPIN_RELEASE),
  ...calls('spinlock', 'write', ['spin_lock_nested', 'spin_lock_irqsave_nested', 'raw_spin_lock_nested'], { nested: true }),
  ...calls('spinlock', 'write', ['spin_trylock', 'spin_trylock_irq', 'spin_trylock_bh', 'raw_spin_trylock'], { trylock: true, when: 'ret-true' }),
  ...family('rwlock', 'read', ['read_lock', 'read_lock_irq', 'read_lock_bh', 'read_lock_irqsave'], ['read_unlock', 'read_unlock_irq', 'read_unlock_bh', 'read_unlock_irqrestore']),
  ...family('rwlock', 'write', ['write_lock', 'write_lock_irq', 'write_lock_bh', 'write_lock_irqsave'], ['write_unlock', 'write_unlock_irq', 'write_unlock_bh', 'write_unlock_irqrestore']),
  // The folio lock (include/linux/pagemap.h).
  ...family('folio', 'write', ['folio_lock', 'lock_page', '__folio_lock'], ['folio_unlock', 'unlock_page'], { className: 'folio lock' }),
  ...calls('folio', 'write', ['folio_lock_killable', '__folio_lock_killable', 'lock_page_killable'], { className: 'folio lock', when: 'ret-zero' }),
  ...calls('folio', 'write', ['folio_trylock', 'trylock_page'], { className: 'folio lock', trylock: true, when: 'ret-true' }),
  // The inode's and the mapping's rwsems (include/linux/fs.h), as mm/rmap.c's lock order names them.
  ...family('rwsem', 'write', ['inode_lock'], ['inode_unlock'], { className: 'i_rwsem' }),
  ...family('rwsem', 'read', ['inode_lock_shared'], ['inode_unlock_shared'], { className: 'i_rwsem' }),
  ...calls('rwsem', 'write', ['inode_lock_killable'], { className: 'i_rwsem', when: 'ret-zero' }),
  ...calls('rwsem', 'read', ['inode_lock_shared_killable'], { className: 'i_rwsem', when: 'ret-zero' }),
  ...calls('rwsem', 'write', ['inode_lock_nested'], { className: 'i_rwsem', nested: true }),
  ...calls('rwsem', 'write', ['inode_trylock'], { className: 'i_rwsem', trylock: true, when: 'ret-true' }),
  ...calls('rwsem', 'read', ['inode_trylock_shared'], { className: 'i_rwsem', trylock: true, when: 'ret-true' }),
  ...family('rwsem', 'write', ['filemap_invalidate_lock'], ['filemap_invalidate_unlock'], { className: 'invalidate_lock' }),
  ...family('rwsem', 'read', ['filemap_invalidate_lock_shared'], ['filemap_invalidate_unlock_shared'], { className: 'invalidate_lock' }),
  ...calls('rwsem', 'read', ['filemap_invalidate_trylock_shared'], { className: 'invalidate_lock', trylock: true, when: 'ret-true' }),
  ...family('rwsem', 'write', ['i_mmap_lock_write'], ['i_mmap_unlock_write'], { className: 'i_mmap_rwsem' }),
  ...family('rwsem', 'read', ['i_mmap_lock_read'], ['i_mmap_unlock_read'], { className: 'i_mmap_rwsem' }),
  ...calls('rwsem', 'write', ['i_mmap_trylock_write'], { className: 'i_mmap_rwsem', trylock: true, when: 'ret-true' }),
  ...calls('rwsem', 'read', ['i_mmap_trylock_read'], { className: 'i_mmap_rwsem', trylock: true, when: 'ret-true' }),
  ...family('rwsem', 'write', ['anon_vma_lock_write'], ['anon_vma_unlock_write'], { className: 'anon_vma->rwsem' }),
  ...family('rwsem', 'read', ['anon_vma_lock_read'], ['anon_vma_unlock_read'], { className: 'anon_vma->rwsem' }),
  ...calls('rwsem', 'write', ['anon_vma_trylock_write'], { className: 'anon_vma->rwsem', trylock: true, when: 'ret-true' }),
  ...calls('rwsem', 'read', ['anon_vma_trylock_read'], { className: 'anon_vma->rwsem', trylock: true, when: 'ret-true' }),
  ...family('rwsem', 'read', ['hugetlb_vma_lock_read'], ['hugetlb_vma_unlock_read'], { className: 'hugetlb vma_lock' }),
  ...family('rwsem', 'write', ['hugetlb_vma_lock_write'], ['hugetlb_vma_unlock_write'], { className: 'hugetlb vma_lock' }),
  ...calls('rwsem', 'read', ['hugetlb_vma_trylock_read'], { className: 'hugetlb vma_lock', trylock: true, when: 'ret-true' }),
  ...calls('rwsem', 'write', ['hugetlb_vma_trylock_write'], { className: 'hugetlb vma_lock', trylock: true, when: 'ret-true' }),
  // Page table locks: `pte_offset_map_lock(mm, pmd, addr, &ptl)` returns with `*ptl` held.
  ['pte_offset_map_lock', { op: 'acquire', kind: 'spinlock', mode: 'write', arg: 3, className: 'page table lock', throughPointer: true }],
  ['pte_unmap_unlock', { op: 'release', kind: 'spinlock', mode: 'write', arg: 1, className: 'page table lock' }],
  // Reservation objects: ww_mutex_lock() and dma_resv_lock() return 0 when locked (-EDEADLK, -EALREADY otherwise).
  ...calls('ww_mutex', 'write', ['ww_mutex_lock', 'ww_mutex_lock_interruptible'], { when: 'ret-zero' }),
  ...calls('ww_mutex', 'write', ['ww_mutex_trylock'], { trylock: true, when: 'ret-true' }),
  ['ww_mutex_unlock', { op: 'release', kind: 'ww_mutex', mode: 'write', arg: 0 }],
  ...calls('ww_mutex', 'write', ['dma_resv_lock', 'dma_resv_lock_interruptible', 'dma_resv_lock_slow', 'dma_resv_lock_slow_interruptible'], { when: 'ret-zero', field: DMA_RESV_LOCK }),
  ...calls('ww_mutex', 'write', ['dma_resv_trylock'], { trylock: true, when: 'ret-true', field: DMA_RESV_LOCK }),
  ['dma_resv_unlock', { op: 'release', kind: 'ww_mutex', mode: 'write', arg: 0, field: DMA_RESV_LOCK }],
]);

/**
 * Calls that make the context atomic without a lock (preemption or interrupts off), and the calls
 * that end it. Each nests: the context is atomic while the depth is above zero.
 */
export const ATOMIC_SECTION_CALLS: ReadonlyMap<string, { op: 'enter' | 'leave'; what: string }> = new Map([
  ['preempt_disable', { op: 'enter', what: 'preemption is disabled' }],
  ['preempt_disable_notrace', { op: 'enter', what: 'preemption is disabled' }],
  ['get_cpu', { op: 'enter', what: 'preemption is disabled (get_cpu())' }],
  ['local_irq_disable', { op: 'enter', what: 'interrupts are disabled' }],
  ['local_irq_save', { op: 'enter', what: 'interrupts are disabled' }],
  ['local_bh_disable', { op: 'enter', what: 'softirqs are disabled' }],
  ['preempt_enable', { op: 'leave', what: 'preemption is disabled' }],
  ['preempt_enable_no_resched', { op: 'leave', what: 'preemption is disabled' }],
  ['preempt_enable_notrace', { op: 'leave', what: 'preemption is disabled' }],
  ['put_cpu', { op: 'leave', what: 'preemption is disabled (get_cpu())' }],
  ['local_irq_enable', { op: 'leave', what: 'interrupts are disabled' }],
  ['local_irq_restore', { op: 'leave', what: 'interrupts are disabled' }],
  ['local_bh_enable', { op: 'leave', what: 'softirqs are disabled' }],
] as const);

/** Guard classes of these locks: `guard(NAME)(&lock)`, `scoped_guard(NAME, &lock)`. */
export const KERNEL_LOCK_GUARDS: Readonly<Record<string, { acquire: string; release: string }>> = {
  mutex: { acquire: 'mutex_lock', release: 'mutex_unlock' },
  mutex_intr: { acquire: 'mutex_lock_interruptible', release: 'mutex_unlock' },
  mutex_try: { acquire: 'mutex_trylock', release: 'mutex_unlock' },
  spinlock: { acquire: 'spin_lock', release: 'spin_unlock' },
  spinlock_irq: { acquire: 'spin_lock_irq', release: 'spin_unlock_irq' },
  spinlock_irqsave: { acquire: 'spin_lock_irqsave', release: 'spin_unlock_irqrestore' },
  spinlock_bh: { acquire: 'spin_lock_bh', release: 'spin_unlock_bh' },
  raw_spinlock: { acquire: 'raw_spin_lock', release: 'raw_spin_unlock' },
  raw_spinlock_irq: { acquire: 'raw_spin_lock_irq', release: 'raw_spin_unlock_irq' },
  raw_spinlock_irqsave: { acquire: 'raw_spin_lock_irqsave', release: 'raw_spin_unlock_irqrestore' },
  read_lock: { acquire: 'read_lock', release: 'read_unlock' },
  write_lock: { acquire: 'write_lock', release: 'write_unlock' },
  read_lock_irq: { acquire: 'read_lock_irq', release: 'read_unlock_irq' },
  write_lock_irq: { acquire: 'write_lock_irq', release: 'write_unlock_irq' },
  read_lock_bh: { acquire: 'read_lock_bh', release: 'read_unlock_bh' },
  write_lock_bh: { acquire: 'write_lock_bh', release: 'write_unlock_bh' },
  raw_spinlock_bh: { acquire: 'raw_spin_lock_bh', release: 'raw_spin_unlock_bh' },
  read_lock_irqsave: { acquire: 'read_lock_irqsave', release: 'read_unlock_irqrestore' },
  write_lock_irqsave: { acquire: 'write_lock_irqsave', release: 'write_unlock_irqrestore' },
  rwsem_read: { acquire: 'down_read', release: 'up_read' },
  rwsem_write: { acquire: 'down_write', release: 'up_write' },
  rwsem_read_intr: { acquire: 'down_read_interruptible', release: 'up_read' },
  rwsem_write_kill: { acquire: 'down_write_killable', release: 'up_write' },
  rwsem_read_try: { acquire: 'down_read_trylock', release: 'up_read' },
  rwsem_write_try: { acquire: 'down_write_trylock', release: 'up_write' },
  folio_lock: { acquire: 'folio_lock', release: 'folio_unlock' },
  inode_lock: { acquire: 'inode_lock', release: 'inode_unlock' },
  inode_lock_shared: { acquire: 'inode_lock_shared', release: 'inode_unlock_shared' },
  preempt: { acquire: 'preempt_disable', release: 'preempt_enable' },
  irq: { acquire: 'local_irq_disable', release: 'local_irq_enable' },
  irqsave: { acquire: 'local_irq_save', release: 'local_irq_restore' },
};

/** Atomic kinds: holding one forbids sleeping, so a fault. */
export function isAtomicKind(kind: KernelLockKind): boolean {
  return kind === 'spinlock' || kind === 'rwlock' || kind === 'atomic';
}

/**
 * Callback tables whose callbacks the kernel calls with the mmap lock or a VMA lock held: a lock
 * class such a callback takes is below mmap_lock (mm/mmap.c calls `->mmap` under the mmap write
 * lock; the fault path calls `->fault` and its kin under the mmap read lock or the VMA lock; VMA
 * splitting, copying and unmapping call `->open`, `->close`, `->may_split`, `->mremap` under the
 * mmap write lock).
 */
export const MMAP_CONTEXT_CALLBACKS: Readonly<Record<string, { fields: readonly string[]; held: string }>> = {
  'struct file_operations': { fields: ['mmap'], held: 'the mmap write lock' },
  // The ->mmap of the tables a file's ->mmap hands the call to, still under the mmap write lock:
  // sock_mmap(), v4l2_mmap(), fb_mmap(), dma_buf_mmap_internal(), snd_pcm_mmap_data(), uio_mmap(),
  // kernfs_fop_mmap() (sysfs binary attributes), vfio_device_fops_mmap(), drm_gem_mmap_obj(),
  // vb2_mmap(), ib_uverbs_mmap(), snd_hwdep_mmap().
  'struct proto_ops': { fields: ['mmap'], held: 'the mmap write lock (from sock_mmap())' },
  'struct v4l2_file_operations': { fields: ['mmap'], held: 'the mmap write lock (from v4l2_mmap())' },
  'struct fb_ops': { fields: ['fb_mmap'], held: 'the mmap write lock (from fb_mmap())' },
  'struct dma_buf_ops': { fields: ['mmap'], held: 'the mmap write lock (from the dma-buf file\'s ->mmap)' },
  'struct snd_pcm_ops': { fields: ['mmap'], held: 'the mmap write lock (from snd_pcm_mmap())' },
  'struct uio_info': { fields: ['mmap'], held: 'the mmap write lock (from uio_mmap())' },
  'struct kernfs_ops': { fields: ['mmap'], held: 'the mmap write lock (from kernfs_fop_mmap())' },
  'struct bin_attribute': { fields: ['mmap'], held: 'the mmap write lock (from kernfs_fop_mmap())' },
  'struct vfio_device_ops': { fields: ['mmap'], held: 'the mmap write lock (from vfio_device_fops_mmap())' },
  'struct drm_gem_object_funcs': { fields: ['mmap'], held: 'the mmap write lock (from drm_gem_mmap())' },
  'struct vb2_mem_ops': { fields: ['mmap'], held: 'the mmap write lock (from vb2_mmap())' },
  'struct ib_device_ops': { fields: ['mmap'], held: 'the mmap write lock (from ib_uverbs_mmap())' },
  'struct snd_hwdep_ops': { fields: ['mmap'], held: 'the mmap write lock (from snd_hwdep_mmap())' },
  'struct vm_operations_struct': {
    fields: ['fault', 'huge_fault', 'page_mkwrite', 'pfn_mkwrite', 'map_pages', 'open', 'close', 'mremap', 'may_split'],
    held: 'the mmap lock or a VMA lock',
  },
};

/**
 * The kernel's documented mm lock order (the comments at the top of mm/rmap.c and mm/filemap.c):
 * each entry a pair `from` -> `to` (to is taken while from is held), and the line of the comment
 * that says so (`cite`, looked for in the tree's file to give its line).
 */
export interface DocumentedOrder {
  from: string;
  to: string;
  file: string;
  cite: RegExp;
  /**
   * The order holds for the class of the objects of a handler's table only where the table has
   * one of these methods: lockdep keys i_rwsem by file system type, and the path that takes
   * mmap_lock under it (generic_perform_write() faulting in the user buffer) is the file's write
   * method. In a `.mmap` of a `file_operations` with neither `.write` nor `.write_iter`
   * (hugetlbfs), the file's inode class has no such path.
   */
  onlyWithMethods?: { table: string; methods: readonly string[] };
}

export const DOCUMENTED_ORDER: readonly DocumentedOrder[] = [
  { from: 'i_rwsem', to: 'mmap_lock', file: 'mm/filemap.c', cite: /->i_rwsem\s+\(generic_perform_write\)/, onlyWithMethods: { table: 'file_operations', methods: ['write', 'write_iter'] } },
  { from: 'mmap_lock', to: 'invalidate_lock', file: 'mm/filemap.c', cite: /->invalidate_lock\s+\(filemap_fault\)/ },
  { from: 'mmap_lock', to: 'folio lock', file: 'mm/filemap.c', cite: /->lock_page\s+\(filemap_fault/ },
  { from: 'mmap_lock', to: 'i_mmap_rwsem', file: 'mm/rmap.c', cite: /^\s*\*\s+mapping->i_mmap_rwsem\s*$/ },
  { from: 'mmap_lock', to: 'anon_vma->rwsem', file: 'mm/rmap.c', cite: /^\s*\*\s+anon_vma->rwsem\s*$/ },
  { from: 'mmap_lock', to: 'page table lock', file: 'mm/rmap.c', cite: /mm->page_table_lock or pte_lock\s*$/ },
];

/**
 * Hooks the kernel calls with page faults disabled (kernel/futex/core.c: `pagefault_disable();
 * ret = arch_futex_atomic_op_inuser(...)`): a function an architecture defines them as
 * (`#define arch_futex_atomic_op_inuser(...) futex_atomic_op_inuser_local(...)`) runs that way.
 */
export const PAGEFAULT_DISABLED_HOOKS: readonly string[] = ['arch_futex_atomic_op_inuser', 'futex_atomic_cmpxchg_inatomic'];
