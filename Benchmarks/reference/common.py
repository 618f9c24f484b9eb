"""Shared pieces of the framework reference benchmarks (torch_bench.py, tf_bench.py).

Both scripts train the report's two models (DESIGN.md section 4) on random data at the report's
batch sizes and print one JSON object: every timed step's wall time, the median and img/s.
Only the standard library is used here, so compare.py can import it with any python3.
"""
import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time

# Default batch per model: the report's for the MNIST models, the faces examples' 64 for the others.
BATCH = {"dcgan": 256, "vae": 128, "dcgan64": 64, "frey_gan": 64, "frey_vae": 64}
NOISE_DIM = 100
LATENT = 16
LEARNING_RATE = 1e-4
# Keras defaults, which the report's tutorial code uses: LeakyReLU slope 0.3, BatchNormalization
# momentum 0.99 / epsilon 1e-3, Adam epsilon 1e-7.
LEAKY_SLOPE = 0.3
BN_MOMENTUM = 0.99
BN_EPSILON = 1e-3
ADAM_EPSILON = 1e-7


def parse_args(description, variants=("default",), models=tuple(BATCH)):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--model", choices=models, required=True)
    p.add_argument("--batch", type=int, help="images per step (default: the model's, see BATCH)")
    p.add_argument("--steps", type=int, default=10, help="timed steps (default 10)")
    p.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    p.add_argument("--threads", type=int, default=2, help="intra-op threads (default 2)")
    p.add_argument("--variant", choices=variants, default=variants[0])
    p.add_argument("--out", help="also write the JSON object to this file")
    args = p.parse_args()
    if args.batch is None:
        args.batch = BATCH[args.model]
    if args.batch < 1:
        p.error(f"--batch must be at least 1, got {args.batch}")
    return args


def limit_threads(threads):
    """Thread-count variables for OpenMP/BLAS pools; call before importing the framework."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)


class CPUShare:
    """CPU that *other* processes used over a window, as a fraction of the whole machine
    (busy jiffies in /proc/stat minus this process's and its children's own CPU time).
    A label for how disturbed a measurement was, not a correction."""

    def __enter__(self):
        self.start = (time.perf_counter(), machine_busy_seconds(), own_cpu_seconds())
        return self

    def __exit__(self, *exc):
        wall = time.perf_counter() - self.start[0]
        busy = machine_busy_seconds() - self.start[1]
        own = own_cpu_seconds() - self.start[2]
        self.other_fraction = max(0.0, busy - own) / max(wall * (os.cpu_count() or 1), 1e-9)
        return False


def machine_busy_seconds():
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:8]]
    user, nice, system, idle, iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds():
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def run(step, args, framework, version, extra=None):
    """Times `step` (one full training step that blocks until done) and prints the JSON report."""
    batch = args.batch
    start = time.perf_counter()
    step()
    first = time.perf_counter() - start
    for _ in range(max(args.warmup - 1, 0)):
        step()
    times = []
    load_start = os.getloadavg()[0]
    with CPUShare() as share:
        for i in range(args.steps):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
            print(f"{framework} {args.model} step {i}: {times[-1] * 1e3:8.1f} ms", flush=True, file=sys.stderr)
    median = statistics.median(times)
    result = dict(
        framework=framework, version=version, model=args.model, variant=args.variant, batch=batch,
        threads=args.threads, warmup=args.warmup, first_step_seconds=first, step_seconds=times,
        median_seconds=median, images_per_second=batch / median,
        other_processes_cpu_fraction=share.other_fraction, loadavg_1min_start=load_start,
        peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        python=platform.python_version(), date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **(extra or {}))
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    return result
