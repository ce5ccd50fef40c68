// Lock classes as data: each lock the analysis tracks is one declaration here, saying how its
// instances are named, the modes it is held in, and the calls that take, try, release, downgrade
// and assert it (the wrappers and, for locks that are rwsems, the raw rwsem forms on the
// instance's rwsem), and the guard classes that take it for a scope. The knowledge base
// (lock-api.ts) makes its entries for these calls from the declarations; the engine reads the
// declarations where a class's behaviour differs (which lock ends another, how messages name it).
// Adding a lock of the kernel is a declaration here plus fixtures.
// Source of truth: ../shared/lock-model.md and include/linux/mmap_lock.h, include/linux/mm.h.

export type LockClass = 'mmap' | 'vma' | 'vma-write';
export type LockMode = 'read' | 'write';

/** A call by its name, for one mode of the class ('held': either mode, for assertions). */
type ByMode<T = readonly string[]> = Partial<Record<LockMode, T>>;

/** The raw rwsem form of a call, and the class's wrapper that does the same (`down_read` -> `mmap_read_lock`). */
export interface RawForm {
  name: string;
  wrapper?: string;
}

export interface LockClassDeclaration {
  name: LockClass;
  /** How messages name the lock's object: "the mmap lock", "the VMA read lock". */
  title: string;
  /** A fixed name for messages when the mode is not said (the VMA write lock is always "VMA write lock"). */
  fixedName?: string;
  modes: readonly LockMode[];
  /**
   * How an instance is named: the structure whose lock it is (`mm_struct`: the mm named by the
   * call's argument; `vm_area_struct`: the VMA), and the lock relative to a VMA (`$->vm_mm`) for a
   * lock a VMA's callee may act on through the VMA.
   */
  instance: { struct: string; ofVma?: string };
  /**
   * For an rwsem lock: the rwsem as a field of the instance (`mm->mmap_lock`, older `mmap_sem`),
   * or the path of fields to it (`vma->vm_lock->lock`); a raw rwsem call acts on the class only
   * when its argument is that field. `ownerStruct`: and only when the owner, if the function
   * declares it, is of this structure (videobuf2's queue has a mutex called `mmap_lock`).
   */
  rwsem?: { fields?: readonly string[]; path?: readonly string[]; ownerStruct?: string };
  /** Blocking acquisitions (always succeed). */
  acquire?: ByMode;
  /** `_killable` forms: 0 = locked, -EINTR = not. */
  killable?: ByMode;
  /** trylock forms: true = locked; never block. */
  trylock?: ByMode;
  /** Acquisitions that may fail and return false (vma_start_read), not trylocks for deadlock purposes. */
  conditional?: ByMode;
  release?: ByMode;
  /** write -> read. */
  downgrade?: readonly string[];
  /** Assertions, by mode ('held': either). */
  assert?: Partial<Record<LockMode | 'held', readonly string[]>>;
  /** The raw rwsem forms of the same operations (rwsem classes only). */
  raw?: {
    acquire?: ByMode<readonly RawForm[]>;
    killable?: ByMode<readonly RawForm[]>;
    trylock?: ByMode<readonly RawForm[]>;
    release?: ByMode<readonly RawForm[]>;
    downgrade?: readonly RawForm[];
    assert?: Partial<Record<LockMode | 'held', readonly RawForm[]>>;
  };
  /** Guard classes (guard(NAME)(args), scoped_guard(NAME, args)) and the calls they make on entry and exit. */
  guards?: Record<string, { acquire: string; release: string }>;
  /**
   * The lock has no release call of its own: it ends when this lock of another class is released
   * (or downgraded) in this mode. The VMA write lock ends with the mmap write lock; a function
   * that takes it never "leaks" it, and a callee given the VMA may have taken it while that lock
   * is held.
   */
  endsWith?: { lock: LockClass; mode: LockMode };
  /** The calls of the class dereference the instance argument (a VMA pointer). */
  derefsInstance?: boolean;
  /** Taking the lock changes the instance the way a writer does (vma_start_write: needs the mmap write lock). */
  acquireModifies?: boolean;
  /** Holding it keeps the instance (a looked-up VMA) valid: dropping it makes the pointer stale. */
  keepsInstanceAlive?: boolean;
}

/** The mmap lock (`mm->mmap_lock`, an rwsem): the whole address space. */
export const MMAP_LOCK: LockClassDeclaration = {
  name: 'mmap',
  title: 'mmap',
  modes: ['read', 'write'],
  instance: { struct: 'mm_struct', ofVma: '$->vm_mm' },
  rwsem: { fields: ['mmap_lock', 'mmap_sem'], ownerStruct: 'mm_struct' },
  acquire: { read: ['mmap_read_lock'], write: ['mmap_write_lock', 'mmap_write_lock_nested'] },
  killable: { read: ['mmap_read_lock_killable'], write: ['mmap_write_lock_killable'] },
  trylock: { read: ['mmap_read_trylock'], write: ['mmap_write_trylock'] },
  release: { read: ['mmap_read_unlock', 'mmap_read_unlock_non_owner'], write: ['mmap_write_unlock'] },
  downgrade: ['mmap_write_downgrade'],
  assert: { held: ['mmap_assert_locked'], write: ['mmap_assert_write_locked'] },
  raw: {
    acquire: {
      read: [
        { name: 'down_read', wrapper: 'mmap_read_lock' },
        { name: 'down_read_nested', wrapper: 'mmap_read_lock' },
      ],
      write: [
        { name: 'down_write', wrapper: 'mmap_write_lock' },
        { name: 'down_write_nested', wrapper: 'mmap_write_lock_nested' },
      ],
    },
    killable: {
      read: [
        { name: 'down_read_killable', wrapper: 'mmap_read_lock_killable' },
        { name: 'down_read_interruptible', wrapper: 'mmap_read_lock_killable' },
      ],
      write: [{ name: 'down_write_killable', wrapper: 'mmap_write_lock_killable' }],
    },
    trylock: { read: [{ name: 'down_read_trylock', wrapper: 'mmap_read_trylock' }], write: [{ name: 'down_write_trylock', wrapper: 'mmap_write_trylock' }] },
    release: {
      read: [
        { name: 'up_read', wrapper: 'mmap_read_unlock' },
        { name: 'up_read_non_owner', wrapper: 'mmap_read_unlock_non_owner' },
      ],
      write: [{ name: 'up_write', wrapper: 'mmap_write_unlock' }],
    },
    downgrade: [{ name: 'downgrade_write', wrapper: 'mmap_write_downgrade' }],
    assert: {
      held: [{ name: 'lockdep_assert_held' }, { name: 'rwsem_assert_held' }],
      read: [{ name: 'lockdep_assert_held_read' }],
      write: [{ name: 'lockdep_assert_held_write' }, { name: 'rwsem_assert_held_write' }],
    },
  },
  guards: {
    mmap_read_lock: { acquire: 'mmap_read_lock', release: 'mmap_read_unlock' },
    mmap_write_lock: { acquire: 'mmap_write_lock', release: 'mmap_write_unlock' },
    mmap_read_lock_killable: { acquire: 'mmap_read_lock_killable', release: 'mmap_read_unlock' },
    // DEFINE_GUARD_COND(mmap_read_lock, _try, mmap_read_trylock(_T)): scoped_cond_guard(mmap_read_lock_try, ...).
    mmap_read_lock_try: { acquire: 'mmap_read_trylock', release: 'mmap_read_unlock' },
    mmap_write_lock_killable: { acquire: 'mmap_write_lock_killable', release: 'mmap_write_unlock' },
    // The rwsem guards, on the mm's rwsem (`guard(rwsem_read)(&mm->mmap_lock)`).
    rwsem_read: { acquire: 'down_read', release: 'up_read' },
    rwsem_read_try: { acquire: 'down_read_trylock', release: 'up_read' },
    rwsem_read_intr: { acquire: 'down_read_interruptible', release: 'up_read' },
    rwsem_write: { acquire: 'down_write', release: 'up_write' },
    rwsem_write_try: { acquire: 'down_write_trylock', release: 'up_write' },
    rwsem_write_kill: { acquire: 'down_write_killable', release: 'up_write' },
  },
};

/** A VMA's read lock (per `struct vm_area_struct`, CONFIG_PER_VMA_LOCK). */
export const VMA_LOCK: LockClassDeclaration = {
  name: 'vma',
  title: 'VMA',
  modes: ['read'],
  instance: { struct: 'vm_area_struct' },
  // 6.12: `vma->vm_lock->lock`.
  rwsem: { path: ['vm_lock', 'lock'] },
  conditional: { read: ['vma_start_read', 'vma_start_read_locked', 'vma_start_read_locked_nested'] },
  release: { read: ['vma_end_read'] },
  assert: { held: ['vma_assert_locked'] },
  raw: {
    acquire: { read: [{ name: 'down_read' }, { name: 'down_read_nested' }] },
    trylock: { read: [{ name: 'down_read_trylock' }] },
    release: { read: [{ name: 'up_read' }, { name: 'up_read_non_owner' }] },
  },
  guards: { vma_read: { acquire: 'vma_start_read', release: 'vma_end_read' } },
  derefsInstance: true,
  keepsInstanceAlive: true,
};

/** A VMA's write lock: taken under the mmap write lock, dropped only with it. */
export const VMA_WRITE_LOCK: LockClassDeclaration = {
  name: 'vma-write',
  title: 'VMA',
  fixedName: 'VMA write lock',
  modes: ['write'],
  instance: { struct: 'vm_area_struct' },
  acquire: { write: ['vma_start_write'] },
  killable: { write: ['vma_start_write_killable'] },
  assert: { write: ['vma_assert_write_locked'] },
  endsWith: { lock: 'mmap', mode: 'write' },
  derefsInstance: true,
  acquireModifies: true,
};

/** Every lock class, in the order their effects apply when a call acts on several (down_read: the mmap lock, then a VMA's). */
export const LOCK_CLASS_DECLARATIONS: readonly LockClassDeclaration[] = [MMAP_LOCK, VMA_LOCK, VMA_WRITE_LOCK];

export const LOCK_CLASSES: readonly LockClass[] = LOCK_CLASS_DECLARATIONS.map((d) => d.name);

const byName = new Map(LOCK_CLASS_DECLARATIONS.map((d) => [d.name, d]));

export function lockClass(name: LockClass): LockClassDeclaration {
  return byName.get(name)!;
}

/** The classes that end when a lock of class `lock` is released in `mode` (or downgraded from it). */
export function classesEndingWith(lock: LockClass): readonly LockClassDeclaration[] {
  return LOCK_CLASS_DECLARATIONS.filter((d) => d.endsWith?.lock === lock);
}

/** How messages name a lock of the class held in `mode` ("mmap read lock", "VMA lock", "VMA write lock"). */
export function lockDisplayName(name: LockClass, mode: LockMode | undefined): string {
  const d = lockClass(name);
  return d.fixedName ?? `${d.title} ${mode ? `${mode} ` : ''}lock`;
}
