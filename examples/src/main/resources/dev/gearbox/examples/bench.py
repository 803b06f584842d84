"""The Python side of `gearbox bench`: the same workloads on concurrent.futures and asyncio.

Reads its parameters as JSON on argv[1] and prints one line per measurement on stdout:
"cpu\t<level>\t<median seconds>\t<median speedup>\t<lowest>\t<highest>" and
"io\t<level>\t<median seconds>". Pools are started and warmed before timing, as the Java
engines are. The CPU workload is timed in rounds, each timing one thread and then every pool in
turn, and a speedup is the median of the per-round speedups, so that a slow moment of the
machine falls on the baseline and the pools alike.
"""
import asyncio
import concurrent.futures as cf
import json
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

    t0 = time.perf_counter()
    for _ in range(sample):
        wait(wait_s)
    out["io"]["one thread"] = (time.perf_counter() - t0) / sample * waits

    with cf.ThreadPoolExecutor() as threads, cf.ProcessPoolExecutor() as processes:
        pools = {}
        for pool in (threads, processes):
            list(pool.map(wait, [0] * pool._max_workers))
            pools["%s(%d)" % (type(pool).__name__, pool._max_workers)] = pool
        runs = {"one thread": one_thread}
        for name, pool in pools.items():
            def cpu(pool=pool):
                assert sum(pool.map(count_primes, parts)) == expected
            runs[name] = cpu
        for fn in runs.values():
            fn()  # untimed, as on the Java side
        times = {name: [] for name in runs}
        for _ in range(repeat):
            for name, fn in runs.items():
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
        for name, ts in times.items():
            speedups = [b / t for b, t in zip(times["one thread"], ts)]
            out["cpu"][name] = (statistics.median(ts), statistics.median(speedups), min(speedups), max(speedups))
        for name, pool in pools.items():
            out["io"][name] = median_time(lambda: list(pool.map(wait, [wait_s] * waits)), repeat)

    async def gather():
        await asyncio.gather(*(asyncio.sleep(wait_s) for _ in range(waits)))
    out["io"]["asyncio"] = median_time(lambda: asyncio.run(gather()), repeat)
    print("version\tpython\t" + sys.version.split()[0])
    for level, (seconds, speedup, low, high) in out["cpu"].items():
        print("cpu\t%s\t%.6f\t%.4f\t%.4f\t%.4f" % (level, seconds, speedup, low, high))
    for level, seconds in out["io"].items():
        print("io\t%s\t%.6f" % (level, seconds))


if __name__ == "__main__":
    main()
