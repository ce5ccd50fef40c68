; Function definitions anywhere in a translation unit (also inside top-level #ifdef blocks).
(function_definition) @function
