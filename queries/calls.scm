; Names a file calls directly and names it defines (for ordering files callees first).
(call_expression function: (identifier) @call)
(function_declarator declarator: (identifier) @defined)
