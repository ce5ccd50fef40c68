// Which edges of a `switch` a state can take, from what the path already knows of the switched
// expression: an assigned constant (`pos = POS_FIRST;`) or an equality tested earlier
// (`if (b->kind == KIND_A)`). Case labels of one switch are distinct constants, so a path that
// knows `on == A` for a label A enters `case A:` only: neither another case nor the default.

import type { State } from './state.js';
import { isNamedConstant } from './c-names.js';
import { equalityKey } from './keys.js';
import { V_ZERO } from './events.js';

/** Most labels a default edge records `on != LABEL` for (beyond that it learns nothing). */
const MAX_NEGATED_LABELS = 16;

/** The label of this switch that the path knows its expression (key `on`) equals, or null. */
export function knownCaseLabel(on: string, labels: readonly string[], pathState: State): string | null {
  const known = pathState.consts.get(on);
  if (known !== undefined && labels.includes(known)) return known;
  for (const label of labels) {
    if (!/^-?\w+$/.test(label)) continue;
    const bits = pathState.getVal(equalityKey(on, label));
    if (bits !== 0 && (bits & V_ZERO) === 0) return label;
  }
  return null;
}

/**
 * The default of a switch, or past it when it has none: `on` equals none of its (few, named
 * constant) case labels, as `on != LABEL` would say. Null when the path knows `on` equals one
 * of them: it cannot take this edge.
 */
export function noLabelMatches(on: string | null, labels: readonly string[], pathState: State): State | null {
  if (on === null) return pathState;
  if (knownCaseLabel(on, labels, pathState) !== null) return null;
  if (labels.length > MAX_NEGATED_LABELS || !labels.every(isNamedConstant)) return pathState;
  let c: State | null = null;
  for (const label of labels) {
    const key = equalityKey(on, label);
    if (pathState.getVal(key) === V_ZERO) continue;
    c ??= pathState.clone();
    c.setVal(key, V_ZERO);
  }
  return c ?? pathState;
}
