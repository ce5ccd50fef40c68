// The forms in which kernel code writes one user address: untagged, rounded to its page (or huge
// page), masked, cast. A VMA looked up at `untagged_addr(addr) & PAGE_MASK` is checked against
// `addr`, and the offset into it computed from `(addr & PAGE_MASK) - vma->vm_start`: all of them
// are "the lookup's address" for the range check of find_vma() (src/engine/addresses.ts).
// Source: include/linux/mm.h, include/linux/align.h, include/linux/uaccess.h, include/linux/hugetlb.h.

/**
 * Calls whose value is one address in another form, by name: the argument that is the address.
 * PAGE_ALIGN() and ALIGN() round up: a VMA starting at or below the rounded address contains the
 * address only when it also starts at or below the address itself, which a `vm_start` check of
 * either form tells as well as the other (`vm_start` is page-aligned). A sum (`addr + len`) is
 * another address, never normalised to its operand.
 */
export const ADDRESS_FORMS: Readonly<Record<string, number>> = {
  untagged_addr: 0,
  untagged_addr_remote: 1,
  PAGE_ALIGN_DOWN: 0,
  PAGE_ALIGN: 0,
  ALIGN_DOWN: 0,
  ALIGN: 0,
  round_down: 0,
  round_up: 0,
  u64_to_user_ptr: 0,
};

/** Masks that keep an address's page (`addr & PAGE_MASK`); `addr & ~PAGE_MASK` is the offset in it, not the address. */
export const ADDRESS_MASKS = /^(?:PAGE|HPAGE|HPAGE_PMD|HPAGE_PUD|PMD|PUD|P4D|PGDIR|CONT_PTE|CONT_PMD)_MASK$/;

/** Calls that give such a mask (`addr & huge_page_mask(h)`). */
export const ADDRESS_MASK_CALLS: ReadonlySet<string> = new Set(['huge_page_mask']);

/** Sizes whose `~(SIZE - 1)` is such a mask (`addr & ~(PAGE_SIZE - 1)`). */
export const ADDRESS_SIZES = /^(?:PAGE|HPAGE|HPAGE_PMD|HPAGE_PUD|PMD|PUD|P4D|PGDIR)_SIZE$/;
