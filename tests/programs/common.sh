# Sourced by the program tests: find_data (find_data.sh), check, free_port.
source "$(dirname "${BASH_SOURCE[0]}")/find_data.sh"

failures=0
passed=0
# check <name> <condition command...>: prints "ok   <name>" or "FAIL <name>" (ctest fails on "FAIL ").
check() {
  local name=$1
  shift
  if "$@"; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    failures=$((failures + 1))
  fi
}

# A TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + ($$ + RANDOM) % 20000))
}

# small_ptb <PTB folder> <folder>: a corpus of PTB's first 400 training lines (109 steps of 8 × 10
# tokens per epoch); validation and test are lines of it, so that every word is in the vocabulary.
small_ptb() {
  mkdir -p "$2"
  head -n 400 "$1/ptb.train.txt" >"$2/ptb.train.txt"
  sed -n '1,60p' "$2/ptb.train.txt" >"$2/ptb.valid.txt"
  sed -n '61,120p' "$2/ptb.train.txt" >"$2/ptb.test.txt"
}
