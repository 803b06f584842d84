package dev.gearbox.examples;

/** CPU-bound work for the examples: trial division, deliberately plain. */
final class Primes {
  private Primes() {}

  /** Counts primes in [range[0], range[1]); checks for interruption so timeouts can stop it. */
  static long countChunk(long[] range) throws InterruptedException {
    long count = 0;
    for (long x = Math.max(2, range[0]); x < range[1]; x++) {
      if ((x & 0xFFFF) == 0 && Thread.interrupted()) {
        throw new InterruptedException("stopped at " + x);
      }
      if (isPrime(x)) {
        count++;
      }
    }
    return count;
  }

  static boolean isPrime(long x) {
    if (x < 4) {
      return x >= 2;
    }
    if ((x & 1) == 0) {
      return false;
    }
    for (long d = 3; d * d <= x; d += 2) {
      if (x % d == 0) {
        return false;
      }
    }
    return true;
  }
}
