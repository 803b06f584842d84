"""The Python side of `gearbox bench`: the same workloads on concurrent.futures and asyncio.

Reads its parameters as JSON on argv[1] and prints one line per measurement on stdout:
"<workload>\t<level>\t<seconds>". Pools are started and warmed before timing, as the Java
engines are.
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

    out["cpu"]["one thread"] = median_time(lambda: [count_primes(c) for c in parts], repeat)
    t0 = time.perf_counter()
    for _ in range(sample):
        wait(wait_s)
    out["io"]["one thread"] = (time.perf_counter() - t0) / sample * waits

    for executor in (cf.ThreadPoolExecutor, cf.ProcessPoolExecutor):
        with executor() as pool:
            name = "%s(%d)" % (executor.__name__, pool._max_workers)
            list(pool.map(wait, [0] * pool._max_workers))
            def cpu():
                assert sum(pool.map(count_primes, parts)) == expected
            out["cpu"][name] = median_time(cpu, repeat)
            out["io"][name] = median_time(lambda: list(pool.map(wait, [wait_s] * waits)), repeat)

    async def gather():
        await asyncio.gather(*(asyncio.sleep(wait_s) for _ in range(waits)))
    out["io"]["asyncio"] = median_time(lambda: asyncio.run(gather()), repeat)
    print("version\tpython\t" + sys.version.split()[0])
    for workload, times in out.items():
        for level, seconds in times.items():
            print("%s\t%s\t%.6f" % (workload, level, seconds))


if __name__ == "__main__":
    main()
