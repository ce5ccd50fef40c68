; Every comment: stale-cannot-fail reads them, the fixture runner reads expectations from them.
(comment) @comment
