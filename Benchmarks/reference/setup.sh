#!/usr/bin/env bash
# Creates the virtualenvs the framework reference benchmarks run in, OUTSIDE the repository:
#   <root>/venv-torch  PyTorch (CPU)          about 1 GB with a +cpu wheel; about 5 GB with the
#                                             default PyPI wheel, which pulls in CUDA libraries
#   <root>/venv-tf     tensorflow-cpu         about 1.6 GB
# <root> is $GK_VENV_ROOT, or the repository's parent directory. compare.py looks there too.
#
# Usage: bash Benchmarks/reference/setup.sh [torch|tf|all]      (default: torch)
# torch: the newest CPU-only build ('+cpu' version) that pip can see (its index or find-links, as
# set in pip's own configuration, e.g. PIP_INDEX_URL or PIP_FIND_LINKS), else the default wheel.
# GK_TORCH_SPEC overrides the choice, e.g. GK_TORCH_SPEC='torch==2.15.0'.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="${GK_VENV_ROOT:-$(cd "$here/../../.." && pwd)}"
python="${PYTHON:-python3}"

make_venv() {  # name, requirements...
  local venv="$root/$1"
  shift
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet "$@"
  echo "$venv: $(du -sh "$venv" | cut -f1)"
}

torch_spec() {
  if [ -n "${GK_TORCH_SPEC:-}" ]; then
    echo "$GK_TORCH_SPEC"
    return
  fi
  local cpu
  cpu="$("$python" -m pip index versions torch 2>/dev/null | grep -o '[0-9][0-9.]*+cpu' | head -n 1 || true)"
  if [ -n "$cpu" ]; then echo "torch==$cpu"; else echo torch; fi
}

case "${1:-torch}" in
  torch) make_venv venv-torch "$(torch_spec)" numpy ;;
  tf) make_venv venv-tf tensorflow-cpu ;;
  all)
    make_venv venv-torch "$(torch_spec)" numpy
    make_venv venv-tf tensorflow-cpu
    ;;
  *) echo "usage: $0 [torch|tf|all]" >&2; exit 2 ;;
esac
