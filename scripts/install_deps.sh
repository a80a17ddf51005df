#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages enas builds with. Needs root (or sudo).
#   LibTorch (libtorch-dev) with OpenBLAS (libopenblas0-openmp: without it LibTorch falls back to
#   the reference BLAS, ~30x slower), fmt, xtensor, nlohmann-json, Catch2, CLI11, and the tools.
#   libgloo-dev: the Gloo headers LibTorch's process groups need (several processes, docs/distributed.md).
#   Optional extras: gnuplot-nox and graphviz (plots and cell pictures), python3-torch (the
#   PyTorch reference benchmarks in ../shared/bench, ENAS_WITH_PYTORCH=1), clang (the libFuzzer
#   targets of scripts/fuzz.sh, ENAS_WITH_CLANG=1).
set -euo pipefail
packages=(cmake make g++ git curl ca-certificates
          libtorch-dev libopenblas0-openmp
          libfmt-dev libxtensor-dev xtl-dev nlohmann-json3-dev catch2 libcli11-dev
          libgloo-dev)
optional=(gnuplot-nox graphviz)
[ "${ENAS_WITH_PYTORCH:-0}" = 1 ] && optional+=(python3-torch)
[ "${ENAS_WITH_CLANG:-0}" = 1 ] && optional+=(clang)

sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "install_deps.sh: run as root or install sudo" >&2; exit 1; }
  sudo=sudo
fi
missing=()
for p in "${packages[@]}" "${optional[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps.sh: all packages present"
  exit 0
fi
echo "install_deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
