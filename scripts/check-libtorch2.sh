#!/usr/bin/env bash
# Builds and tests enas against LibTorch 2.6 in a Debian 13 (trixie) root, on a Debian 12 machine.
#   stage 1 (cpu):  libtorch-dev 2.6, fmt 10, xtensor 0.25, Catch2 3: configure, build everything,
#                   run the whole test suite.
#   stage 2 (cuda): libtorch-cuda-dev 2.6 (CUDA 12): configure with the CUDA code paths compiled
#                   in (ENAS_WITH_CUDA: streams, graphs, pinned memory), build library, programs and
#                   tests, and run a short ptb_search on the CPU with the CUDA build.
# Usage: scripts/check-libtorch2.sh [cpu|cuda|all]     (default: all; needs root)
# The roots and the build folders live outside the clone, in $ENAS_TRIXIE_CACHE
# (default /var/cache/enas), so that a rerun only rebuilds what changed. The Debian mirror is the
# one the machine's apt sources name. Prints one line per stage at the end.
set -euo pipefail
trap 'echo "check-libtorch2.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$repo/.." && pwd)/shared
cache=${ENAS_TRIXIE_CACHE:-/var/cache/enas}
stages=${1:-all}
jobs=${ENAS_JOBS:-$(nproc)}
case "$stages" in cpu|cuda|all) ;; *) echo "check-libtorch2.sh: unknown stage '$stages': expected cpu, cuda or all" >&2; exit 2;; esac
[ "$(id -u)" = 0 ] || { echo "check-libtorch2.sh: needs root (mmdebstrap, chroot, bind mounts)" >&2; exit 2; }

# The Debian archive the machine already uses: the first URI of a deb entry for its release
# (deb822 .sources files or one-line sources.list entries), never a host written down here.
debian_mirror() (
  set +e +o pipefail  # a missing sources file is no error here: the caller checks for a result
  local codename
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  {
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -r "$f" ] && awk -v c="$codename" '
        /^[[:space:]]*$/ { if (deb && suite && uri) print uri; deb = suite = 0; uri = ""; next }
        /^Types:/ { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
        /^URIs:/ { uri = $2 }
        /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == c) suite = 1 }
        END { if (deb && suite && uri) print uri }' "$f"
    done
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk -v c="$codename" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i == c) { print ($2 ~ /^\[/ ? $3 : $2); break } }'
  } | head -n 1
)

common_packages=cmake,make,g++,ca-certificates,libopenblas0-openmp,libfmt-dev,libxtensor-dev,xtl-dev,nlohmann-json3-dev,catch2,libcli11-dev
# Gloo's headers (process groups): libgloo-dev beside the CPU LibTorch; the CUDA LibTorch depends on
# the CUDA build of Gloo, which conflicts with the plain one, so it takes libgloo-cuda-dev.
declare -A root_packages=(
  [cpu]="$common_packages,libgloo-dev,libtorch-dev"
  # nvidia-cuda-toolkit: nvcc and the CUDA headers and libraries LibTorch's CMake config asks for.
  [cuda]="$common_packages,libtorch-cuda-dev,libgloo-cuda-dev,libnccl-dev,nvidia-cuda-toolkit"
)

# Creates (once) the Debian 13 root for a stage; a finished root carries a stamp naming its packages.
make_root() {
  local stage=$1 root="$cache/trixie-$1" packages=${root_packages[$1]}
  if [ -f "$root/.enas-root" ] && [ "$(cat "$root/.enas-root")" = "$packages" ]; then return; fi
  command -v mmdebstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null; }
  local mirror
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || { echo "check-libtorch2.sh: no Debian mirror found in /etc/apt/sources.list{,.d}" >&2; exit 1; }
  echo "check-libtorch2.sh: creating the Debian 13 root for stage $stage in $root (a few minutes)"
  rm -rf "$root.tmp" "$root"
  mkdir -p "$cache"
  # nvidia-cudnn (a dependency of libtorch-cuda) is an install script that downloads cuDNN from
  # NVIDIA, which this machine cannot reach: decline its licence so that it installs nothing.
  mmdebstrap --quiet --variant=apt --components="main contrib non-free" --include="$packages" \
    --essential-hook='echo "nvidia-cudnn nvidia-cudnn/question select I Do Not Agree" | chroot "$1" debconf-set-selections' \
    trixie "$root.tmp" "$mirror"
  [ "$stage" = cuda ] && make_cudnn_shim "$root.tmp"
  echo "$packages" > "$root.tmp/.enas-root"
  mv "$root.tmp" "$root"
}

# cuDNN itself is NVIDIA's download (see make_root), and libtorch_cuda.so needs libcudnn.so.9 to
# link and, bound at load time (BIND_NOW), to start. A stand-in with the same soname, symbol
# version and function names, each of which aborts with a message, goes to /opt/cudnn-stand-in
# (never on the default library path): the programs link against it and run their CPU code. No
# cuDNN function is called without a GPU.
make_cudnn_shim() {
  chroot "$1" bash -eu <<'EOS'
mkdir -p /opt/cudnn-stand-in && cd /opt/cudnn-stand-in
nm -D --undefined-only /usr/lib/x86_64-linux-gnu/libtorch_cuda.so |
  awk '{print $2}' | sed -n 's/@libcudnn\.so\.9$//p' | sort -u > symbols.txt
[ -s symbols.txt ] || { echo "libtorch_cuda.so asks for no cuDNN symbol: nothing to stand in for" >&2; exit 1; }
{
  echo '#include <stdio.h>'
  echo '#include <stdlib.h>'
  while read -r f; do
    printf 'void %s(void) { fputs("cuDNN stand-in: %s was called; install cuDNN\\n", stderr); abort(); }\n' "$f" "$f"
  done < symbols.txt
} > stand_in.c
echo 'libcudnn.so.9 { global: *; };' > version.map
gcc -shared -fPIC -o libcudnn.so.9 -Wl,-soname,libcudnn.so.9 -Wl,--version-script=version.map stand_in.c
EOS
}

# Runs a command in a stage's root, with the clone at /work/enas and ../shared (read-only) at
# /work/shared, in a private mount namespace so that nothing stays mounted afterwards.
in_root() {
  local root="$cache/trixie-$1"; shift
  mkdir -p "$root/work/enas" "$root/work/shared" "$root/build"
  unshare --mount --propagation private bash -euc '
    root=$1 repo=$2 shared=$3; shift 3
    mount --bind "$repo" "$root/work/enas"
    if [ -d "$shared" ]; then mount --bind "$shared" "$root/work/shared"; mount -o remount,bind,ro "$root/work/shared"; fi
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    exec chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 bash -euc "$*"
  ' in_root "$root" "$repo" "$shared" "$@"
}

summary=()
started=$SECONDS

if [ "$stages" = cpu ] || [ "$stages" = all ]; then
  t0=$SECONDS
  make_root cpu
  log="$cache/stage1.log"
  if in_root cpu "cmake -S /work/enas -B /build/cpu -DCMAKE_BUILD_TYPE=Release >/dev/null &&
                  cmake --build /build/cpu -j $jobs &&
                  cd /build/cpu && ctest --output-on-failure -j $jobs" > "$log" 2>&1; then
    result=$(grep -E '^[0-9]+% tests passed' "$log" | tail -n 1)
    skipped=$(grep -cE '^\s+[0-9]+ - .* \(Skipped\)$' "$log" || true)
    [ "$skipped" -gt 0 ] && result="$result, $skipped skipped ($(grep -E '^\s+[0-9]+ - .* \(Skipped\)$' "$log" | sed -E 's/^\s+[0-9]+ - (.*) \(Skipped\)$/\1/' | paste -sd, -))"
    summary+=("stage 1 (LibTorch $(in_root cpu "dpkg-query -W -f='\${Version}' libtorch-dev") CPU): built; $result ($(( (SECONDS - t0) / 60 )) min $(( (SECONDS - t0) % 60 )) s)")
  else
    tail -n 60 "$log"
    summary+=("stage 1 (LibTorch 2.6 CPU): FAILED, see $log")
  fi
fi

if [ "$stages" = cuda ] || [ "$stages" = all ]; then
  t0=$SECONDS
  make_root cuda
  log="$cache/stage2.log"
  if in_root cuda "export LD_LIBRARY_PATH=/opt/cudnn-stand-in
                   cmake -S /work/enas -B /build/cuda -DCMAKE_BUILD_TYPE=Release \\
                     -DCMAKE_EXE_LINKER_FLAGS=-Wl,-rpath-link,/opt/cudnn-stand-in > /build/cuda-configure.log 2>&1 || { cat /build/cuda-configure.log; exit 1; }
                   grep -q 'enas: CUDA code paths compiled in' /build/cuda-configure.log || { echo 'the CUDA LibTorch did not switch ENAS_WITH_CUDA on'; cat /build/cuda-configure.log; exit 1; }
                   cmake --build /build/cuda -j $jobs &&
                   /build/cuda/examples/ptb_search --device cpu --threads $jobs --max_steps 3 --log_every 1 \
                     --data_path /work/shared/data/ptb --output_dir /build/cuda-ptb-run --reset_output_dir \
                     --child_lstm_hidden_size 32 --batch_size 16 --child_bptt_steps 10 --nocontroller_training" > "$log" 2>&1; then
    summary+=("stage 2 (LibTorch $(in_root cuda "dpkg-query -W -f='\${Version}' libtorch-cuda-dev") CUDA): library, programs and tests built with ENAS_WITH_CUDA; ptb_search ran 3 steps on the CPU ($(( (SECONDS - t0) / 60 )) min $(( (SECONDS - t0) % 60 )) s)")
  else
    tail -n 60 "$log"
    summary+=("stage 2 (LibTorch 2.6 CUDA): FAILED, see $log")
  fi
fi

printf '%s\n' "${summary[@]}"
echo "check-libtorch2.sh: $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s in all"
! printf '%s\n' "${summary[@]}" | grep -q FAILED
