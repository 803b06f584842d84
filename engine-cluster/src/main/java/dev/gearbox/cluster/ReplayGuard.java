package dev.gearbox.cluster;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Refuses an envelope that a member has accepted before (a replay: a copy of an authentic task,
 * cancel or halt sent again by someone on the network) or whose sending time is further than the
 * replay window ({@code gearbox.cluster.replay-window}) from this member's clock. An envelope is
 * known by the first 8 bytes of its MAC, which nobody without the secret can choose. Each
 * accepted envelope is remembered for twice the window (an envelope sent at most a window into
 * this member's future may come again up to a window after that), in buckets of a quarter
 * window dropped whole as they age, so memory follows the rate of envelopes: about 16 bytes each.
 *
 * <p>Thread-safe: one lock; each check is a few hash probes.
 */
final class ReplayGuard {
  private final long windowMillis;
  private final long bucketMillis;
  /** Newest last. Guarded by this. */
  private final ArrayDeque<Bucket> buckets = new ArrayDeque<>();

  ReplayGuard(Duration window) {
    this.windowMillis = window.toMillis();
    this.bucketMillis = Math.max(1_000, windowMillis / 4);
  }

  /**
   * Accepts an envelope (and remembers it), or says why it is refused.
   *
   * @param sentAtMillis when its sender sealed it (its wall clock)
   * @param mac its verified MAC
   * @return null if accepted, else the reason, in words
   */
  String check(long sentAtMillis, byte[] mac, long nowMillis) {
    String stale = checkWindow(sentAtMillis, nowMillis);
    if (stale != null) {
      return stale;
    }
    long key = 0;
    for (int i = 0; i < Long.BYTES; i++) {
      key = key << 8 | (mac[i] & 0xff);
    }
    synchronized (this) {
      while (!buckets.isEmpty() && buckets.peekFirst().start < nowMillis - 2 * windowMillis - bucketMillis) {
        buckets.pollFirst();
      }
      for (Iterator<Bucket> it = buckets.descendingIterator(); it.hasNext(); ) {
        if (it.next().keys.contains(key)) {
          return "this member accepted the same envelope before (a replay)";
        }
      }
      Bucket last = buckets.peekLast();
      if (last == null || nowMillis - last.start >= bucketMillis) {
        last = new Bucket(nowMillis);
        buckets.addLast(last);
      }
      last.keys.add(key);
    }
    return null;
  }

  /**
   * Only the first half of {@link #check}: refuses an envelope sealed outside the window, and
   * remembers nothing. For envelopes that may legitimately come twice (a durable task that
   * Hazelcast runs again).
   *
   * @return null if inside the window, else the reason
   */
  String checkWindow(long sentAtMillis, long nowMillis) {
    long skew = nowMillis - sentAtMillis;
    if (Math.abs(skew) > windowMillis) {
      return "it was sealed " + Math.abs(skew) + " ms " + (skew > 0 ? "ago" : "in the future") + " by this member's clock,"
          + " more than " + ClusterConfig.REPLAY_WINDOW + "=" + windowMillis + " ms (a replayed envelope, or clocks"
          + " apart: synchronize them with NTP or raise " + ClusterConfig.REPLAY_WINDOW + ")";
    }
    return null;
  }

  /** Envelopes remembered now, for tests. */
  synchronized int remembered() {
    return buckets.stream().mapToInt(b -> b.keys.size).sum();
  }

  private static final class Bucket {
    final long start;
    final LongSet keys = new LongSet();

    Bucket(long start) {
      this.start = start;
    }
  }

  /** An open-addressing set of longs; 0 stands for itself through a separate flag. */
  private static final class LongSet {
    private long[] table = new long[64];
    private int size;
    private boolean hasZero;

    boolean contains(long k) {
      if (k == 0) {
        return hasZero;
      }
      int mask = table.length - 1;
      for (int i = mix(k) & mask; ; i = (i + 1) & mask) {
        long t = table[i];
        if (t == 0) {
          return false;
        }
        if (t == k) {
          return true;
        }
      }
    }

    void add(long k) {
      if (k == 0) {
        if (!hasZero) {
          hasZero = true;
          size++;
        }
        return;
      }
      if ((size + 1) * 2 > table.length) {
        long[] old = table;
        table = new long[old.length * 2];
        for (long t : old) {
          if (t != 0) {
            insert(t);
          }
        }
      }
      if (insert(k)) {
        size++;
      }
    }

    private boolean insert(long k) {
      int mask = table.length - 1;
      for (int i = mix(k) & mask; ; i = (i + 1) & mask) {
        if (table[i] == 0) {
          table[i] = k;
          return true;
        }
        if (table[i] == k) {
          return false;
        }
      }
    }

    private static int mix(long k) {
      long h = k * 0x9E3779B97F4A7C15L;
      return (int) (h ^ h >>> 32);
    }
  }
}
