#!/usr/bin/env bash
# vmalint as the kernel build's checker over a configured 6.12 tree, beside its other modes.
#
#   scripts/kbuild-check.sh [KERNEL_SOURCE] [DIR]      (default: ../shared/get-kernel.sh's tree, mm)
#
# Configures an out-of-tree build (make O=... defconfig prepare: the source tree is not written),
# runs `make C=2 CHECK="vmalint --kbuild" DIR/`, writes the build's compile_commands.json, and
# prints the findings per rule of three runs over DIR: the heuristic mode (every CONFIG_ option
# undecided), `vmalint -p compile_commands.json` (the real configuration, the files together),
# and the checker called by make (the real configuration, one file at a time). Exits 0 without
# running when the build tools are missing (CI may lack them). Takes a few minutes: make compiles
# DIR. VMALINT_KBUILD_OBJ names the build directory to use (kept; default: a temporary one).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
vmalint="$here/bin/vmalint"
for tool in make gcc flex bison bc perl python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "kbuild-check: skipped: $tool is not installed (a kernel build needs make, gcc, flex, bison, bc, perl, python3)"
    exit 0
  fi
done
src=${1:-$(bash "$here/../shared/get-kernel.sh")}
dir=${2:-mm}
obj=${VMALINT_KBUILD_OBJ:-$(mktemp -d)}
cache=$(mktemp -d)
export VMALINT_CACHE_DIR=$cache
jobs=$(nproc)

echo "kbuild-check: $src, $dir, build in $obj"
make -s -C "$src" O="$obj" defconfig >/dev/null
make -s -C "$src" O="$obj" -j"$jobs" prepare >/dev/null 2>&1
start=$(date +%s)
# The checker writes its findings on stderr, as compilers do; make's own output is dropped.
make -s -C "$src" O="$obj" -j"$jobs" C=2 CHECK="$vmalint --kbuild" "$dir/" >/dev/null 2>"$obj/vmalint-kbuild.log" || true
echo "kbuild-check: make C=2 took $(( $(date +%s) - start )) s"
python3 "$src/scripts/clang-tools/gen_compile_commands.py" -d "$obj" -o "$obj/compile_commands.json" "$dir" 2>/dev/null \
  || python3 "$src/scripts/clang-tools/gen_compile_commands.py" -d "$obj" -o "$obj/compile_commands.json"

count() { grep -oE '\[[a-z-]+\]$' | sort | uniq -c | sed 's/^ */    /' || true; }
echo "heuristic mode (vmalint $dir, CONFIG_ options undecided):"
(cd "$src" && node "$vmalint" --no-cache --exit-zero -q "$dir") | count
compiled=$(python3 -c "import json,sys; print('\n'.join(e['file'] for e in json.load(open(sys.argv[1])) if e['file'].startswith(sys.argv[2] + '/') and e['file'].endswith('.c')))" "$obj/compile_commands.json" "$src/$dir")
echo "heuristic mode, the files the build compiled only ($(echo "$compiled" | grep -c .) files):"
(cd "$src" && echo "$compiled" | xargs node "$vmalint" --no-cache --exit-zero -q) | count
echo "real configuration, the files together (vmalint -p compile_commands.json $dir):"
(cd "$src" && node "$vmalint" --no-cache --exit-zero -q -p "$obj/compile_commands.json" "$dir") | count
echo "real configuration, one file per checker call (make C=2 CHECK=\"vmalint --kbuild\" $dir/):"
grep -E ': (error|warning|note): .*\[[a-z-]+\]$' "$obj/vmalint-kbuild.log" | count
rm -rf "$cache"
