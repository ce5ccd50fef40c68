; File-scope variables with a brace initializer (`static const struct mm_walk_ops ops = { ... };`).
; Declarations inside functions are captured too and filtered out by the caller.
(declaration
  declarator: (init_declarator
    value: (initializer_list))) @declaration
