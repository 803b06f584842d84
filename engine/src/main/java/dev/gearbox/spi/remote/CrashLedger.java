package dev.gearbox.spi.remote;

import dev.gearbox.EngineException;
import dev.gearbox.PoisonTaskException;
import dev.gearbox.WorkerCrashedException;
import dev.gearbox.spi.Attempt;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Counts, per task, the attempts lost in a row to their worker or member dying, so that a task
 * that keeps killing what runs it (System.exit, a native crash, an out-of-memory) fails as poison
 * after {@code threshold} deaths instead of taking down worker after worker through its retries.
 *
 * <p>A task's count ends when one of its attempts is answered by what ran it ({@link #ended}): a
 * result, its own failure, a refusal. An attempt that ends without an answer (never sent, the
 * backend stopping) says nothing about the task and leaves the count as it is. A task
 * that crashed and was never tried again (no retries left, cancelled) would otherwise stay for
 * ever, so the ledger is bounded: whenever it has grown past its purge mark (256 entries at
 * first, then twice what survived the last purge, at most {@link #MAX_ENTRIES}), the entries
 * untouched for {@link #RETENTION} are dropped, and if more than three quarters of
 * {@link #MAX_ENTRIES} remain, the oldest go. So it never holds more than {@link #MAX_ENTRIES} tasks.
 * Forgetting a count only delays a quarantine; it never fails a task.
 *
 * <p>Thread-safe; no lock is held while the caller reports.
 */
public final class CrashLedger {
  /** How long a task's count is kept after its last crash. */
  public static final long RETENTION = TimeUnit.HOURS.toNanos(1);
  /** The most tasks the ledger remembers at once. */
  public static final int MAX_ENTRIES = 10_000;
  private static final int FIRST_PURGE = 256;

  private record Entry(int count, long lastNanos) {}

  private final int threshold;
  private final LongSupplier nanoClock;
  private final Map<Long, Entry> entries = new ConcurrentHashMap<>();
  /** The size at which expired entries are looked for next; only grows with the live entries. */
  private volatile int purgeAt = FIRST_PURGE;

  /** @param threshold the deaths in a row after which a task is poison (the backend's {@code poison-threshold}) */
  public CrashLedger(int threshold) {
    this(threshold, System::nanoTime);
  }

  CrashLedger(int threshold, LongSupplier nanoClock) {
    if (threshold < 1) {
      throw new IllegalArgumentException("threshold must be at least 1, got " + threshold);
    }
    this.threshold = threshold;
    this.nanoClock = nanoClock;
  }

  /**
   * An attempt of this task was lost because what ran it died.
   *
   * @return what to report the attempt {@link Attempt#lost lost} with: {@code crash}, or a
   *     {@link PoisonTaskException} wrapping it once the task has killed {@code threshold} in a row
   */
  public EngineException crashed(Attempt attempt, WorkerCrashedException crash) {
    long now = nanoClock.getAsLong();
    int count = entries.merge(attempt.taskId(), new Entry(1, now), (old, one) -> new Entry(old.count + 1, now)).count;
    if (entries.size() >= purgeAt) {
      purge(now);
    }
    if (count >= threshold) {
      entries.remove(attempt.taskId());
      return new PoisonTaskException(attempt.taskId(), attempt.taskName(), count, crash);
    }
    return crash;
  }

  /** An attempt of this task was answered by what ran it (a result, its own failure, a refusal): its run of crashes is over. */
  public void ended(long taskId) {
    if (!entries.isEmpty()) {
      entries.remove(taskId);
    }
  }

  /** How many tasks the ledger remembers now. */
  public int size() {
    return entries.size();
  }

  private synchronized void purge(long now) {
    if (entries.size() < purgeAt) {
      return; // another thread purged meanwhile
    }
    entries.values().removeIf(e -> now - e.lastNanos > RETENTION);
    if (entries.size() > MAX_ENTRIES * 3 / 4) {
      // Too many recent ones: keep the newest three quarters of the bound.
      List<Map.Entry<Long, Entry>> all = new ArrayList<>(entries.entrySet());
      all.sort((a, b) -> Long.signum(a.getValue().lastNanos - b.getValue().lastNanos)); // nanoTime: compare differences
      for (int i = 0; i < all.size() - MAX_ENTRIES * 3 / 4; i++) {
        entries.remove(all.get(i).getKey(), all.get(i).getValue());
      }
    }
    purgeAt = Math.min(MAX_ENTRIES, Math.max(FIRST_PURGE, 2 * entries.size()));
  }
}
