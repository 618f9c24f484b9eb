#!/usr/bin/env python3
"""GenerativeKit against one framework, in the same session, interleaved.

    python3 Benchmarks/reference/compare.py --framework torch [--models dcgan,vae] [--rounds 2] [--steps 10]

For each round and model it runs gk-bench (`--sections gan|vae --json`) and the framework's
reference script once each, alternating which goes first (A B, then B A, ...) so a drift in the
machine's load falls on both. Each run reports the median of its timed steps; the summary gives,
per model, the median over rounds of those img/s figures and the ratio GenerativeKit / framework
(above 1: GenerativeKit is faster). It also prints how much CPU other processes took during each
run (a share of the whole machine): figures taken while that is high are rough.

gk-bench is built first (release, scratch path .build-bench) unless --gk-bench names a binary.
The framework runs under <venv root>/venv-<framework>/bin/python (see setup.sh) unless --python.
Only the standard library is used: run it with any python3.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import common  # noqa: E402

SCRIPTS = {"torch": "torch_bench.py", "tf": "tf_bench.py"}
SECTIONS = {"dcgan": "gan", "vae": "vae"}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--framework", choices=sorted(SCRIPTS), default="torch")
    p.add_argument("--models", default="dcgan,vae", help="comma-separated: dcgan, vae")
    p.add_argument("--rounds", type=int, default=2, help="A/B rounds per model (default 2)")
    p.add_argument("--steps", type=int, default=10, help="timed steps per run (default 10)")
    p.add_argument("--warmup", type=int, default=3, help="framework warm-up steps (gk-bench always does 1)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--variant", default="default", help="framework variant (torch: channels_last; tf: xla)")
    p.add_argument("--gk-bench", help="a built gk-bench binary (default: build one)")
    p.add_argument("--python", help="the framework's python (default: <venv root>/venv-<framework>/bin/python)")
    p.add_argument("--venv-root", default=os.environ.get("GK_VENV_ROOT", os.path.dirname(REPO)),
                   help="where setup.sh made the virtualenvs (default: $GK_VENV_ROOT or the repository's parent)")
    p.add_argument("--out", help="write every run and the summary as JSON here")
    return p.parse_args()


def build_gk_bench():
    scratch = os.path.join(REPO, ".build-bench")
    print("building gk-bench (release)...", file=sys.stderr, flush=True)
    env = dict(os.environ, PATH="/opt/swift/usr/bin:" + os.environ.get("PATH", ""))  # the toolchain here
    subprocess.run(["swift", "build", "-c", "release", "--scratch-path", scratch, "--product", "gk-bench"],
                   cwd=REPO, env=env, check=True, stdout=sys.stderr)
    return os.path.join(scratch, "release", "gk-bench")


def run_gk(binary, model, args):
    command = [binary, "--sections", SECTIONS[model], "--repetitions", str(args.steps),
               "--threads", str(args.threads), "--json"]
    with common.CPUShare() as share:
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    step = json.loads(out)["steps"][model]
    return dict(who="GenerativeKit", images_per_second=step["images_per_second"],
                step_seconds=step["step_seconds"], other_cpu=share.other_fraction)


def run_framework(python, model, args):
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        command = [python, os.path.join(HERE, SCRIPTS[args.framework]), "--model", model,
                   "--steps", str(args.steps), "--warmup", str(args.warmup), "--threads", str(args.threads),
                   "--variant", args.variant, "--out", result.name]
        with common.CPUShare() as share:
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        report = json.load(open(result.name))
    label = f"{report['framework']} {report['version']}" + ("" if args.variant == "default" else f" {args.variant}")
    return dict(who=label, images_per_second=report["images_per_second"],
                step_seconds=report["step_seconds"], other_cpu=share.other_fraction)


def main():
    args = parse_args()
    binary = args.gk_bench or build_gk_bench()
    python = args.python or os.path.join(args.venv_root, f"venv-{args.framework}", "bin", "python")
    if not os.access(python, os.X_OK):
        sys.exit(f"no python for {args.framework} at {python}: run Benchmarks/reference/setup.sh "
                 f"{args.framework} or pass --python")
    runs = []
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    print(f"{started}, load average {os.getloadavg()[0]:.2f}, {args.threads} threads, "
          f"{args.steps} steps per run", flush=True)
    for model in args.models.split(","):
        for round_index in range(args.rounds):
            order = [run_gk, run_framework] if round_index % 2 == 0 else [run_framework, run_gk]
            for runner in order:
                result = runner(binary if runner is run_gk else python, model, args)
                result.update(model=model, round=round_index)
                runs.append(result)
                print(f"  {model:5s} round {round_index}: {result['who']:22s} {result['images_per_second']:7.1f} img/s"
                      f"   (other processes: {100 * result['other_cpu']:3.0f}% of the machine)", flush=True)
    summary = {}
    print(f"\n{'model':6s} {'GenerativeKit img/s':>20s} {args.framework + ' img/s':>14s} {'ratio GK/' + args.framework:>14s}")
    for model in args.models.split(","):
        gk = statistics.median(r["images_per_second"] for r in runs if r["model"] == model and r["who"] == "GenerativeKit")
        fw = statistics.median(r["images_per_second"] for r in runs if r["model"] == model and r["who"] != "GenerativeKit")
        summary[model] = dict(generativekit_ips=gk, framework_ips=fw, ratio=gk / fw)
        print(f"{model:6s} {gk:20.1f} {fw:14.1f} {gk / fw:14.2f}")
    other = statistics.mean(r["other_cpu"] for r in runs)
    print(f"other processes took {100 * other:.0f}% of the machine on average"
          + (" (busy: treat these figures as rough)" if other > 0.1 else ""))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(dict(started=started, framework=args.framework, variant=args.variant, threads=args.threads,
                           steps=args.steps, runs=runs, summary=summary, mean_other_cpu=other), f, indent=1)


if __name__ == "__main__":
    main()
