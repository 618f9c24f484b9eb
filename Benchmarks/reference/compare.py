#!/usr/bin/env python3
"""GenerativeKit against PyTorch and/or TensorFlow, in the same session, interleaved.

    python3 Benchmarks/reference/compare.py --frameworks torch,tf [--models dcgan,vae,dcgan64]
                                            [--batches 32,64,128,256] [--rounds 2] [--steps 10]

For each model, batch size and round it runs gk-bench (`--sections ... --batch B --json`) and each
framework's reference script once, rotating which goes first so a drift in the machine's load falls
on all of them. Each run reports the median of its timed steps; the summary gives, per model and
batch, the median over rounds of those img/s figures and the ratio GenerativeKit / framework (above
1: GenerativeKit is faster). Without --batches every model runs at its own batch (dcgan 256, vae
128, dcgan64, frey_gan and frey_vae 64). TensorFlow's script has dcgan and vae only; the other
models are skipped for it. It also prints how
much CPU other processes took during each run (a share of the whole machine): figures taken while
that is high are rough.

gk-bench is built first (release, scratch path .build-bench) unless --gk-bench names a binary.
Each framework runs under <venv root>/venv-<framework>/bin/python (see setup.sh).
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
SECTIONS = {"dcgan": "gan", "vae": "vae", "dcgan64": "gan64", "frey_gan": "frey-gan", "frey_vae": "frey-vae"}
FRAMEWORK_MODELS = {"torch": {"dcgan", "vae", "dcgan64", "frey_gan", "frey_vae"}, "tf": {"dcgan", "vae"}}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frameworks", "--framework", default="torch",
                   help="comma-separated: torch, tf (default torch)")
    p.add_argument("--models", default="dcgan,vae", help="comma-separated: dcgan, vae, dcgan64, frey_gan, frey_vae")
    p.add_argument("--batches", help="comma-separated batch sizes (default: each model's own)")
    p.add_argument("--rounds", type=int, default=2, help="A/B rounds per model (default 2)")
    p.add_argument("--steps", type=int, default=10, help="timed steps per run (default 10)")
    p.add_argument("--warmup", type=int, default=3, help="framework warm-up steps (gk-bench always does 1)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--variant", default="default", help="framework variant (torch: channels_last; tf: xla)")
    p.add_argument("--gk-bench", help="a built gk-bench binary (default: build one)")

    p.add_argument("--venv-root", default=os.environ.get("GK_VENV_ROOT", os.path.dirname(REPO)),
                   help="where setup.sh made the virtualenvs (default: $GK_VENV_ROOT or the repository's parent)")
    p.add_argument("--out", help="write every run and the summary as JSON here")
    args = p.parse_args()
    args.frameworks = args.frameworks.split(",")
    args.models = args.models.split(",")
    for name in args.frameworks:
        if name not in SCRIPTS:
            p.error(f"unknown framework {name!r}; known: {', '.join(sorted(SCRIPTS))}")
    for model in args.models:
        if model not in SECTIONS:
            p.error(f"unknown model {model!r}; known: {', '.join(SECTIONS)}")
    args.batches = [int(b) for b in args.batches.split(",")] if args.batches else [None]
    return args


def build_gk_bench():
    scratch = os.path.join(REPO, ".build-bench")
    print("building gk-bench (release)...", file=sys.stderr, flush=True)
    env = dict(os.environ, PATH="/opt/swift/usr/bin:" + os.environ.get("PATH", ""))  # the toolchain here
    subprocess.run(["swift", "build", "-c", "release", "--scratch-path", scratch, "--product", "gk-bench"],
                   cwd=REPO, env=env, check=True, stdout=sys.stderr)
    return os.path.join(scratch, "release", "gk-bench")


def run_gk(binary, model, batch, args):
    command = [binary, "--sections", SECTIONS[model], "--repetitions", str(args.steps),
               "--threads", str(args.threads), "--json"] + (["--batch", str(batch)] if batch else [])
    with common.CPUShare() as share:
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    step = json.loads(out)["steps"][model]
    return dict(who="GenerativeKit", framework="gk", batch=step["batch"], images_per_second=step["images_per_second"],
                step_seconds=step["step_seconds"], other_cpu=share.other_fraction, blas=json.loads(out)["blas"])


def run_framework(framework, python, model, batch, args):
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        command = [python, os.path.join(HERE, SCRIPTS[framework]), "--model", model,
                   "--steps", str(args.steps), "--warmup", str(args.warmup), "--threads", str(args.threads),
                   "--variant", args.variant, "--out", result.name] + (["--batch", str(batch)] if batch else [])
        with common.CPUShare() as share:
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        report = json.load(open(result.name))
    label = f"{report['framework']} {report['version']}" + ("" if args.variant == "default" else f" {args.variant}")
    return dict(who=label, framework=framework, batch=report["batch"], images_per_second=report["images_per_second"],
                step_seconds=report["step_seconds"], other_cpu=share.other_fraction)


def main():
    args = parse_args()
    binary = args.gk_bench or build_gk_bench()
    pythons = {}
    for framework in args.frameworks:
        pythons[framework] = os.path.join(args.venv_root, f"venv-{framework}", "bin", "python")
        if not os.access(pythons[framework], os.X_OK):
            sys.exit(f"no python for {framework} at {pythons[framework]}: run Benchmarks/reference/setup.sh {framework}")
    runs = []
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    print(f"{started}, load average {os.getloadavg()[0]:.2f}, {args.threads} threads, "
          f"{args.steps} steps per run", flush=True)
    cases = []
    for model in args.models:
        for batch in args.batches:
            runners = [lambda m=model, b=batch: run_gk(binary, m, b, args)]
            runners += [lambda f=f, m=model, b=batch: run_framework(f, pythons[f], m, b, args)
                        for f in args.frameworks if model in FRAMEWORK_MODELS[f]]
            for round_index in range(args.rounds):
                shift = round_index % len(runners)
                for runner in runners[shift:] + runners[:shift]:
                    result = runner()
                    result.update(model=model, round=round_index)
                    runs.append(result)
                    print(f"  {model:7s} batch {result['batch']:4d} round {round_index}: {result['who']:22s} "
                          f"{result['images_per_second']:7.1f} img/s   (other processes: "
                          f"{100 * result['other_cpu']:3.0f}% of the machine)", flush=True)
            cases.append((model, runs[-1]["batch"]))
    blas = next((r["blas"] for r in runs if "blas" in r), "")
    print(f"\nGenerativeKit's BLAS: {blas}")
    summary = {}
    header = f"{'model':8s} {'batch':>5s} {'GK img/s':>9s}"
    for framework in args.frameworks:
        header += f" {framework + ' img/s':>11s} {'GK/' + framework:>8s}"
    print(header)
    for model, batch in cases:
        def median(framework):
            values = [r["images_per_second"] for r in runs
                      if r["model"] == model and r["batch"] == batch and r["framework"] == framework]
            return statistics.median(values) if values else None
        gk = median("gk")
        line = f"{model:8s} {batch:5d} {gk:9.1f}"
        entry = dict(model=model, batch=batch, generativekit_ips=gk)
        for framework in args.frameworks:
            fw = median(framework)
            if fw is None:
                line += f" {'-':>11s} {'-':>8s}"
                continue
            entry[f"{framework}_ips"], entry[f"ratio_{framework}"] = fw, gk / fw
            line += f" {fw:11.1f} {gk / fw:8.2f}"
        summary[f"{model}@{batch}"] = entry
        print(line)
    other = statistics.mean(r["other_cpu"] for r in runs)
    print(f"other processes took {100 * other:.0f}% of the machine on average"
          + (" (busy: treat these figures as rough)" if other > 0.1 else ""))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(dict(started=started, frameworks=args.frameworks, variant=args.variant, threads=args.threads,
                           steps=args.steps, blas=blas, runs=runs, summary=summary, mean_other_cpu=other), f, indent=1)


if __name__ == "__main__":
    main()
