import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calleesFirst } from '../src/engine/callgraph.js';
import { prescan, type FilePrescan, type PrescanFunction } from '../src/engine/prescan.js';

/** calleesFirst() over files given as texts: the order it gives the paths listed (`needed`: the demand's functions, else all). */
function orderer(texts: Record<string, string>, needed?: (fn: PrescanFunction) => boolean): (paths: string[]) => string[] {
  const prescans = new Map<string, FilePrescan>(Object.entries(texts).map(([path, text]) => [path, prescan(text, new Set())]));
  const neededIn = (file: string) => (needed ? prescans.get(file)!.functions.filter(needed) : null);
  return (paths) => calleesFirst(paths.map((path) => ({ path })), prescans, neededIn).map((s) => s.path);
}

// Two files that call each other: z.c's helpers are what a.c's functions call, and one of z.c's
// calls back into a.c. No order of the two files puts every callee first; the order of their
// functions does (z_leaf*, a_mid, z_call, a_top): z.c, mostly called, goes first.
const A = `void a_mid(void) { z_leaf1(); z_leaf2(); }
void a_top(void) { z_call(); }
`;
const Z = `void z_leaf1(void) {}
void z_leaf2(void) {}
void z_call(void) { a_mid(); }
`;

test('callees first: files that call each other go in the order of their functions in the call graph', () => {
  const order = orderer({ 'a.c': A, 'z.c': Z, 'other.c': 'void other(void) { a_top(); }\n' });
  assert.deepEqual(order(['z.c', 'a.c', 'other.c']), ['z.c', 'a.c', 'other.c']);
  assert.deepEqual(order(['other.c', 'a.c', 'z.c']), ['z.c', 'a.c', 'other.c'], 'whatever the order given');
});

// Two files that call each other unevenly: three functions of fault.c call die() of traps.c, one
// function of traps.c calls back into fault.c. Whichever goes first, the functions calling the
// other read a summary still to come and are analysed again: traps.c first costs one (its
// handler), fault.c first three.
const TRAPS = `void die(void) { }
void handler(void) { do_fault(); }
void handler2(void) { }
void handler3(void) { }
void handler4(void) { }
`;
const FAULT = `void do_fault(void) { die(); }
void bad_area(void) { die(); }
void no_context(void) { die(); }
`;

test('callees first: files that call each other go so that fewest calls go to a file still to come', () => {
  const order = orderer({ 'fault.c': FAULT, 'traps.c': TRAPS });
  assert.deepEqual(order(['fault.c', 'traps.c']), ['traps.c', 'fault.c']);
  assert.deepEqual(order(['traps.c', 'fault.c']), ['traps.c', 'fault.c'], 'whatever the order given');
});

// A function not analysed now (the demand did not need it) calls a function another file
// analyses: when that function's summary turns out to change its callers' state, the caller
// becomes needed (Demand.activate()). Its file goes after the callee's, so that it is taken then,
// at its turn, not in a second round.
const CALLER = `void caller_now(void) { }
void caller_later(void) { callee_fn(); }
`;
const CALLEE = `void callee_fn(void) { }
`;

test('callees first: a call from a function not needed yet orders its file after the callee\'s', () => {
  const order = orderer({ 'caller.c': CALLER, 'callee.c': CALLEE }, (fn) => fn.name !== 'caller_later');
  assert.deepEqual(order(['caller.c', 'callee.c']), ['callee.c', 'caller.c']);
  assert.deepEqual(order(['callee.c', 'caller.c']), ['callee.c', 'caller.c'], 'whatever the order given');
});

// A name two files define (each architecture its own): generic code calling it has an answer only
// once every definition is analysed, so it goes after all of them, not only after the first.
test('callees first: a call goes after every file defining its name', () => {
  const def = 'void arch_hook(void) { }\n';
  const order = orderer({ 'arch/a/hook.c': def, 'arch/b/hook.c': def, 'generic.c': 'void generic(void) { arch_hook(); }\n' });
  assert.deepEqual(order(['arch/a/hook.c', 'generic.c', 'arch/b/hook.c']), ['arch/a/hook.c', 'arch/b/hook.c', 'generic.c']);
});

// The same shape, but traps.c's one caller is a long function and fault.c's three are short:
// analysing the long one again costs more than the three short ones, so fault.c goes first.
const LONG_TRAPS = `void die(void) { }
void handler(void) {
${'\tnoise();\n'.repeat(200)}\tdo_fault();
}
`;

test('callees first: calls to a file still to come are weighed by the length of the functions making them', () => {
  const order = orderer({ 'fault.c': FAULT, 'traps.c': LONG_TRAPS });
  assert.deepEqual(order(['fault.c', 'traps.c']), ['fault.c', 'traps.c']);
  assert.deepEqual(order(['traps.c', 'fault.c']), ['fault.c', 'traps.c'], 'whatever the order given');
});
