#!/usr/bin/env bash
# Remakes gan-step.json and vae-step.json: GenerativeKit writes the initial weights and
# inputs (gk-step-fixtures), PyTorch performs the step (pytorch_step.py). Needs PyTorch: run
# `GK_VENV_ROOT=... bash Benchmarks/reference/setup.sh torch` first, or set PYTHON to a python with torch.
# Only needed when the fixtures' models or inputs change (StepFixture in Tests/TestSupport).
set -euo pipefail
cd "$(dirname "$0")/../../.."
export PATH="/opt/swift/usr/bin:$PATH"
python="${PYTHON:-${GK_VENV_ROOT:-..}/venv-torch/bin/python}"
swift build --product gk-step-fixtures >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$(swift build --show-bin-path)/gk-step-fixtures" "$work/inputs.safetensors"
"$python" Tests/Fixtures/pytorch-step/pytorch_step.py "$work/inputs.safetensors" Tests/Fixtures/pytorch-step
