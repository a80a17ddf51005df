#!/usr/bin/env bash
# Compiles every ```cpp code block of README.md and docs/*.md (blocks fenced as ```cpp excerpt are
# skipped: they are fragments that rely on names defined elsewhere). All blocks go into one
# translation unit: a block with `int main(` becomes a function of its own, any other block becomes
# the body of a function; #include lines move to the top. The TU is built against the enas build
# tree with find_package(enas), as a user would.
#   usage: compile_doc_blocks.sh <source-dir> <binary-dir>
set -euo pipefail
src=$1
bin=$2
work="$bin/doc_blocks"
rm -rf "$work"
mkdir -p "$work"

awk -v out="$work" '
  FNR == 1 { file = FILENAME; sub(".*/", "", file) }
  /^```cpp[[:space:]]*$/ { inside = 1; n++; body = ""; includes = ""; next }
  /^```/ && inside {
    inside = 0
    gsub(/int main\(/, "int main_" n "(", body)
    printf "%s", includes >> (out "/includes.inc")
    if (body ~ /int main_/) {
      printf "// %s, block %d\nnamespace block_%d {\n%s}  // namespace block_%d\n\n", file, n, n, body, n >> (out "/blocks.inc")
    } else {
      printf "// %s, block %d\nnamespace block_%d {\ninline void snippet() {\n%s}\n}  // namespace block_%d\n\n", file, n, n, body, n >> (out "/blocks.inc")
    }
    next
  }
  inside && /^#include/ { includes = includes $0 "\n"; next }
  inside { body = body $0 "\n" }
' "$src/README.md" "$src"/docs/*.md

blocks=$(grep -c "^// .*, block" "$work/blocks.inc" || true)
echo "compile_doc_blocks: $blocks blocks"
{
  echo '#include <enas/enas.hpp>'
  sort -u "$work/includes.inc"
  echo
  cat "$work/blocks.inc"
  echo 'int main() { return 0; }'
} > "$work/doc_blocks.cpp"

cat > "$work/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.18)
project(doc_blocks LANGUAGES CXX)
find_package(enas REQUIRED)
add_executable(doc_blocks doc_blocks.cpp)
target_link_libraries(doc_blocks PRIVATE enas::enas)
CMAKE
cmake -S "$work" -B "$work/build" -Denas_DIR="$bin" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build"
echo "compile_doc_blocks: all $blocks blocks compile"
