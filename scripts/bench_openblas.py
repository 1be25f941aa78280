#!/usr/bin/python3
"""Measure OpenBLAS SGEMM (through numpy) at the shapes of gocnn's bench suite.

For each thread count and OpenBLAS core type this script starts a fresh
Python process with OMP_NUM_THREADS and OPENBLAS_NUM_THREADS set before numpy
is imported (OpenBLAS reads them once, when it loads), and with
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from the environment, so
OpenBLAS picks its kernel from the CPU the way it would for any user ("auto").
A core type given with --coretype is forced through OPENBLAS_CORETYPE
instead, to see what OpenBLAS does with kernels it failed to pick itself.
Each line names the kernel OpenBLAS says it ran (openblas_get_corename).

C = A·B with float32, row-major, no transposes, beta = 0, as in
bench/gemm_test.go. For each shape the product runs for about --seconds
seconds (at least 3 calls) after one warm-up call; that is repeated --repeat
times and the median rate is printed, in GFLOP/s (2·m·n·k per call), per
wall-clock second and per CPU second of the process (all its threads; the
CPU-time rate is the one that other work on a shared machine disturbs less).

numpy must use OpenBLAS (Debian: apt-get install libopenblas0-pthread, which
makes it the libblas.so.3 alternative); the script stops if it does not.

With --json FILE the results are also appended to FILE, one JSON object a
line. --table reads such files and the output of gocnn's Go benchmarks
(go test -run '^$' -bench 'Sgemm|FMAPeak' ./bench, saved to files) and prints
the Markdown table of docs/PERF.md: for every shape and thread count, the
median rate (--metric wall: GFLOP/s; cpu: GFLOP per CPU second) over all the
runs given of each gocnn path, gonum and each OpenBLAS kernel, and the median
single-core FMA peak of each vector width.

With --paired BENCHBIN (a test binary built by go test -c ./bench) the two
run in alternation instead, one shape and thread count at a time: --pairs
times, the Go benchmark of the avx512 path (with the suite's FMA peak) and
then OpenBLAS (the first --coretype, one run of --seconds). On a machine
whose speed drifts from minute to minute this compares each Go run with the
OpenBLAS run beside it; the table gives the medians, the median of the
per-pair ratios, how many pairs reach 0.95, and the Go rate as a fraction
of the peak measured in the same run.

Usage: /usr/bin/python3 scripts/bench_openblas.py [--threads 1 2]
       [--coretype auto SkylakeX] [--repeat 3] [--seconds 1] [--shapes NAME ...]
       [--json FILE]
   or: /usr/bin/python3 scripts/bench_openblas.py --table [--metric wall|cpu]
       --gobench GOFILE ... --openblas JSONFILE ...
   or: /usr/bin/python3 scripts/bench_openblas.py --paired BENCHBIN [--pairs 7]
       [--threads 1 2] [--coretype SkylakeX] [--seconds 1] [--shapes NAME ...]
"""

import argparse
import ctypes
import json
import os
import re
import statistics
import subprocess
import sys
import time

# The shapes of bench/gemm_test.go (name, m, n, k).
SHAPES = [
    ("2048cube", 2048, 2048, 2048),
    ("1024cube", 1024, 1024, 1024),
    ("r50_3x3_56", 64, 3136, 576),
    ("r50_3x3_56_c256", 256, 3136, 2304),
    ("r50_3x3_28_c512", 512, 784, 4608),
    ("vgg_conv1_224", 64, 50176, 27),
    ("fc_1000_b32", 1000, 32, 2048),
    ("late_3x3_2x2_c512", 512, 32 * 4, 4608),
    ("late_1x1_1x1_c2048", 2048, 32, 512),
    ("late_1x1_4x4_c1024", 1024, 32 * 16, 256),
]


def child(shapes, repeat, seconds):
    """Runs in the measuring process: prints one JSON line per shape."""
    import numpy as np

    lib = ctypes.CDLL("libopenblas.so.0")
    lib.openblas_get_corename.restype = ctypes.c_char_p
    lib.openblas_get_num_threads.restype = ctypes.c_int
    rng = np.random.default_rng(1)
    for name, m, n, k in shapes:
        a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
        b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
        c = np.empty((m, n), np.float32)
        np.matmul(a, b, out=c)
        rates, cpu_rates = [], []
        for _ in range(repeat):
            calls, start, cpu = 0, time.perf_counter(), time.process_time()
            while True:
                np.matmul(a, b, out=c)
                calls += 1
                elapsed = time.perf_counter() - start
                if calls >= 3 and elapsed >= seconds:
                    break
            rates.append(2.0 * m * n * k * calls / elapsed / 1e9)
            cpu_rates.append(2.0 * m * n * k * calls / (time.process_time() - cpu) / 1e9)
        maps = open("/proc/self/maps").read()
        print(json.dumps({
            "shape": name, "m": m, "n": n, "k": k,
            "gflops": statistics.median(rates), "runs": rates,
            "gflops_cpu": statistics.median(cpu_rates),
            "core": lib.openblas_get_corename().decode(),
            "threads": lib.openblas_get_num_threads(),
            "numpy_uses_openblas": "openblas" in maps,
        }), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--coretype", nargs="+", default=["auto"],
                    help="'auto' (OpenBLAS detects the CPU) or OPENBLAS_CORETYPE values such as SkylakeX, Haswell")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--shapes", nargs="+", help="only these shape names")
    ap.add_argument("--json", help="append the results to this file, one JSON object a line")
    ap.add_argument("--table", action="store_true", help="print the PERF.md table from saved results")
    ap.add_argument("--gobench", nargs="+", default=[], help="files of Go benchmark output (with --table)")
    ap.add_argument("--openblas", nargs="+", default=[], help="files written with --json (with --table)")
    ap.add_argument("--metric", choices=["wall", "cpu"], default="wall",
                    help="rates per wall-clock second or per CPU second (with --table)")
    ap.add_argument("--paired", metavar="BENCHBIN", help="alternate with this Go bench test binary")
    ap.add_argument("--pairs", type=int, default=7, help="runs of each side per shape (with --paired)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    shapes = [s for s in SHAPES if not args.shapes or s[0] in args.shapes]
    if args.child:
        child(shapes, args.repeat, args.seconds)
        return
    if args.table:
        print_table(shapes, args.gobench, args.openblas, args.metric)
        return
    if args.paired:
        paired(args.paired, shapes, args.threads, args.coretype[0], args.seconds, args.pairs)
        return

    print(f"{'shape':<20} {'m':>5} {'n':>6} {'k':>5} {'threads':>7} {'kernel':<12} {'GFLOP/s':>8} {'GFLOP/cpu-s':>11}")
    for core in args.coretype:
        for threads in args.threads:
            for r in run_openblas(core, threads, [s[0] for s in shapes] if args.shapes else None,
                                  args.repeat, args.seconds):
                if args.json:
                    with open(args.json, "a") as f:
                        f.write(json.dumps(r) + "\n")
                kernel = r["core"] if core == "auto" else f"{r['core']}*"
                print(f"{r['shape']:<20} {r['m']:>5} {r['n']:>6} {r['k']:>5} {r['threads']:>7} {kernel:<12} "
                      f"{r['gflops']:>8.1f} {r['gflops_cpu']:>11.1f}", flush=True)
    if any(c != "auto" for c in args.coretype):
        print("* core type forced with OPENBLAS_CORETYPE")


def run_openblas(core, threads, shape_names, repeat, seconds):
    """Yields the child's result per shape, measured in a fresh process."""
    env = {key: v for key, v in os.environ.items() if key not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = str(threads)
    if core != "auto":
        env["OPENBLAS_CORETYPE"] = core
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--repeat", str(repeat), "--seconds", str(seconds)]
    if shape_names:
        cmd += ["--shapes", *shape_names]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        r = json.loads(line)
        if not r["numpy_uses_openblas"]:
            proc.kill()
            sys.exit("numpy is not using OpenBLAS here (install libopenblas0-pthread)")
        r["coretype"] = core
        yield r
    if proc.wait() != 0:
        sys.exit(f"measuring process failed with status {proc.returncode}")


def run_go(benchbin, shape, threads, seconds):
    """Runs one shape's avx512 benchmark and the FMA peak; returns (GFLOP/s, peak)."""
    pattern = f"^BenchmarkFMAPeak$/^zmm$|^BenchmarkSgemm$/^{shape}$/^avx512$/^t{threads}$"
    out = subprocess.run([benchbin, "-test.run", "^$", "-test.bench", pattern, "-test.benchtime", f"{seconds}s"],
                         capture_output=True, text=True, check=True).stdout
    rate = peak = None
    for line in out.splitlines():
        fields = line.split()
        if not fields or not fields[0].startswith("Benchmark"):
            continue
        value = float(fields[fields.index("GFLOP/s") - 1])
        if fields[0].startswith("BenchmarkFMAPeak"):
            peak = value
        else:
            rate = value
    if rate is None or peak is None:
        sys.exit(f"{benchbin}: no result for {shape} on {threads} thread(s):\n{out}")
    return rate, peak


def paired(benchbin, shapes, thread_counts, core, seconds, pairs):
    kernel = f"OpenBLAS {core}" + ("" if core == "auto" else "*")
    print(f"| shape (m, n, k) | threads | avx512 | {kernel} | ratio (median of pairs) | pairs ≥ 0.95 "
          f"| avx512 ÷ FMA peak of its run |")
    print("|---|---|---|---|---|---|---|")
    for threads in thread_counts:
        for name, m, n, k in shapes:
            ours, theirs, ratios, fractions = [], [], [], []
            for _ in range(pairs):
                rate, peak = run_go(benchbin, name, threads, seconds)
                ob = next(run_openblas(core, threads, [name], 1, seconds))["gflops"]
                ours.append(rate)
                theirs.append(ob)
                ratios.append(rate / ob)
                fractions.append(rate / (peak * threads))
            med = statistics.median
            print(f"| {name} ({m}, {n}, {k}) | {threads} | {med(ours):.1f} | {med(theirs):.1f} | {med(ratios):.2f} "
                  f"| {sum(r >= 0.95 for r in ratios)} of {pairs} | {100 * med(fractions):.0f}% |", flush=True)


def read_gobench(paths, unit):
    """Returns {(shape, impl, threads): [rate in unit, ...]} and {width: [FMA peak, ...]}."""
    rates, peaks = {}, {}
    line_re = re.compile(r"^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+(.*)$")
    for path in paths:
        for line in open(path):
            m = line_re.match(line.strip())
            if not m:
                continue
            fields = m.group(2).split()
            metrics = {unit: float(v) for v, unit in zip(fields[::2], fields[1::2])}
            parts = m.group(1).split("/")
            if parts[0] == "FMAPeak" and len(parts) == 2 and unit in metrics:
                peaks.setdefault(parts[1], []).append(metrics[unit])
            elif parts[0] == "Sgemm" and len(parts) == 4 and unit in metrics:
                key = (parts[1], parts[2], int(parts[3].lstrip("t")))
                rates.setdefault(key, []).append(metrics[unit])
    return rates, peaks


def print_table(shapes, gofiles, obfiles, metric):
    rates, peaks = read_gobench(gofiles, "GFLOP/s" if metric == "wall" else "GFLOP/cpu-s")
    kernels = []
    for path in obfiles:
        for line in open(path):
            r = json.loads(line)
            kernel = "OpenBLAS " + (r["core"] if r["coretype"] == "auto" else r["core"] + "*")
            if kernel not in kernels:
                kernels.append(kernel)
            rates.setdefault((r["shape"], kernel, r["threads"]), []).append(
                r["gflops"] if metric == "wall" else r["gflops_cpu"])
    impls = [i for i in ("generic", "avx2", "avx512") if any(k[1] == i for k in rates)] + kernels + ["gonum"]
    med = lambda key: statistics.median(rates[key]) if key in rates else None
    for width, values in sorted(peaks.items()):
        print(f"Single-core FMA peak, {width} registers: {statistics.median(values):.1f} GFLOP/s "
              f"(median of {len(values)})")
    print()
    print("| shape (m, n, k) | threads | " + " | ".join(impls) + " | avx512 ÷ best OpenBLAS |")
    print("|---|---|" + "---|" * (len(impls) + 1))
    for name, m, n, k in shapes:
        for threads in (1, 2):
            cells = [med((name, i, threads)) for i in impls]
            best = max((v for i, v in zip(impls, cells) if i.startswith("OpenBLAS") and v), default=None)
            ours = med((name, "avx512", threads))
            ratio = f"{ours / best:.2f}" if ours and best else ""
            print(f"| {name} ({m}, {n}, {k}) | {threads} | "
                  + " | ".join(f"{v:.1f}" if v else "" for v in cells) + f" | {ratio} |")


if __name__ == "__main__":
    main()
