"""The Python side of `gearbox bench`: the same workloads on concurrent.futures and asyncio.

Reads its parameters as JSON on argv[1] and prints one tab-separated line per figure on stdout:
"version\tpython\t<version>"; where the one-thread baseline ran, "pin\tpinned\t-" or
"pin\tunpinned\t<why>"; the one thread's seconds in each round, comma-separated, on each CPU (or
unpinned), "base\t<CPU n or unpinned>\t<s1>,<s2>,..."; each pool's seconds in each round,
"cpu\t<level>\t<s1>,<s2>,..."; and "io\t<level>\t<median seconds>". It computes no speedup: the
bench reads the per-round times and does the arithmetic for Python as for Java (its Baseline).

Pools are started and warmed before timing, as the Java engines are. The CPU workload is timed in
rounds, each timing one thread and then every pool in turn, so that a slow moment of the machine
falls on the baseline and the pools alike. The CPUs need not be equally fast, nor the same one
slow in every round: where os.sched_setaffinity can pin the thread, each round times the one
thread on each CPU in turn. The pools are never pinned: the thread is pinned only while it runs
the baseline, so every thread or process a pool starts inherits all the CPUs.
"""
import asyncio
import concurrent.futures as cf
import json
import os
import statistics
import sys
import time


def count_primes(lo_hi):
    lo, hi = lo_hi
    count = 0
    for x in range(max(2, lo), hi):
        if x < 4:
            count += 1
            continue
        if x % 2 == 0:
            continue
        d, prime = 3, True
        while d * d <= x:
            if x % d == 0:
                prime = False
                break
            d += 2
        if prime:
            count += 1
    return count


def wait(seconds):
    time.sleep(seconds)
    return 1


def chunks(n, k):
    step = -(-n // k)
    return [(c * step, min(n, (c + 1) * step)) for c in range(k)]


def cpus_to_pin(wanted):
    """The CPUs to time the one-thread baseline on, and None; or [] and why it cannot be pinned."""
    if not wanted:
        return [], "--no-pin"
    if not hasattr(os, "sched_setaffinity"):
        return [], "no os.sched_setaffinity on this platform"
    try:
        allowed = sorted(os.sched_getaffinity(0))
        if len(allowed) < 2:
            return [], "this process may run on one CPU only"
        os.sched_setaffinity(0, {allowed[0]})
        pinned = os.sched_getaffinity(0)
        os.sched_setaffinity(0, allowed)
        if pinned != {allowed[0]}:
            return [], "os.sched_setaffinity left the thread on CPUs %s" % sorted(pinned)
        return allowed, None
    except OSError as e:
        return [], "os.sched_setaffinity failed: %s" % e


def pinned(fn, cpu):
    """fn, with the calling thread on CPU cpu only (os.sched_setaffinity(0) is the calling thread)."""
    def run():
        allowed = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {cpu})
        try:
            fn()
        finally:
            os.sched_setaffinity(0, allowed)
    return run


def median_time(fn, repeat):
    fn()  # untimed, as on the Java side
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    p = json.loads(sys.argv[1])
    n, k, repeat = p["cpu_n"], p["chunks"], p["repeat"]
    waits, wait_s, sample = p["waits"], p["wait_ms"] / 1000.0, p["io_sample"]
    parts = chunks(n, k)
    expected = count_primes((0, n))
    out = {"cpu": {}, "io": {}}

    def one_thread():
        assert sum(count_primes(c) for c in parts) == expected

    cpus, unpinned_why = cpus_to_pin(p.get("pin", True))

    t0 = time.perf_counter()
    for _ in range(sample):
        wait(wait_s)
    out["io"]["one thread"] = (time.perf_counter() - t0) / sample * waits

    with cf.ThreadPoolExecutor() as threads, cf.ProcessPoolExecutor() as processes:
        pools = {}
        for pool in (threads, processes):
            list(pool.map(wait, [0] * pool._max_workers))
            pools["%s(%d)" % (type(pool).__name__, pool._max_workers)] = pool
        # The baseline runs first in each round, on each CPU in turn; its pinning is undone before the pools run.
        baselines = {"CPU %d" % c: pinned(one_thread, c) for c in cpus} or {"unpinned": one_thread}
        runs = dict(baselines)
        for name, pool in pools.items():
            def cpu(pool=pool):
                assert sum(pool.map(count_primes, parts)) == expected
            runs[name] = cpu
        for fn in runs.values():
            fn()  # untimed, as on the Java side
        times = {name: [] for name in runs}
        for _ in range(repeat):
            for name, fn in runs.items():
                # a baseline's pinning is two system calls of a few microseconds, inside its time
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
        base = {b: times.pop(b) for b in baselines}
        out["cpu"] = times
        for name, pool in pools.items():
            out["io"][name] = median_time(lambda: list(pool.map(wait, [wait_s] * waits)), repeat)

    async def gather():
        await asyncio.gather(*(asyncio.sleep(wait_s) for _ in range(waits)))
    out["io"]["asyncio"] = median_time(lambda: asyncio.run(gather()), repeat)
    print("version\tpython\t" + sys.version.split()[0])
    print("pin\tpinned\t-" if unpinned_why is None else "pin\tunpinned\t" + unpinned_why)
    for where, ts in base.items():
        print("base\t%s\t%s" % (where, ",".join("%.6f" % t for t in ts)))
    for level, ts in out["cpu"].items():
        print("cpu\t%s\t%s" % (level, ",".join("%.6f" % t for t in ts)))
    for level, seconds in out["io"].items():
        print("io\t%s\t%.6f" % (level, seconds))


if __name__ == "__main__":
    main()
