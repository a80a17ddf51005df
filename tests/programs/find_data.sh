# Sourced by the program tests: find_data <name> <file> prints the first folder holding
# <name>/<file>, looked up as the programs do ($ENAS_DATA_DIR, data/, ../shared/data).
find_data() {
  local here
  here=$(dirname "${BASH_SOURCE[0]}")
  for base in "${ENAS_DATA_DIR:-}" "$here/../../data" "$here/../../../shared/data"; do
    [ -n "$base" ] && [ -f "$base/$1/$2" ] && { echo "$base/$1"; return; }
  done
}
