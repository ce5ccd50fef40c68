// What a function's own documentation says of its failure. A kernel-doc comment that says the
// function "never fails" (mempool_alloc(): "this function *never* fails when called from process
// contexts"; fsverity_alloc_hash_request(): "this never fails if __GFP_DIRECT_RECLAIM is set")
// states its contract under a condition the analysis cannot decide (a GFP flag): a caller's
// claim that the call cannot fail repeats that contract rather than going stale.

/** A claim that something cannot fail, as comments word it. */
export const NO_FAILURE_CLAIM = /\b(?:can\s?not|can'?t|can’t|never)\s+fails?\b|\balways\s+succeeds?\b/i;

/** The block comment that ends right above `start` (blank lines and a `static`-less header between), or null. */
function commentAbove(text: string, start: number): string | null {
  let i = start;
  while (i > 0 && /\s/.test(text[i - 1]!)) i--;
  if (i < 2 || text.slice(i - 2, i) !== '*/') return null;
  const open = text.lastIndexOf('/*', i - 2);
  return open < 0 ? null : text.slice(open, i);
}

/** Words that open the condition of a claim: "never fails when called from process context". */
const CONDITION = /^\s*(?:when|if|unless|as\s+long\s+as|provided|while|with|for|in)\b/i;

/**
 * Does the comment right above a function's definition say the function does not fail under a
 * condition it names ("never fails if __GFP_DIRECT_RECLAIM is set")? That is its contract, and
 * its failure paths are the cases outside it. A claim without a condition over a function that
 * fails is stale itself, and says nothing for its callers.
 */
export function documentedNoFailure(text: string, definitionStart: number): boolean {
  const comment = commentAbove(text, definitionStart);
  if (comment === null) return false;
  // The comment's `*` (line starts, emphasis as in "*never* fails") are not words.
  const words = comment.replace(/[*/]/g, ' ').replace(/\s+/g, ' ');
  const claim = NO_FAILURE_CLAIM.exec(words);
  return claim !== null && CONDITION.test(words.slice(claim.index + claim[0].length));
}
