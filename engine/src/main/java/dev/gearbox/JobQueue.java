package dev.gearbox;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The engine's queue of jobs waiting for a slot: highest priority first, submission order among
 * equals. Nearly every job has the default priority 0, so those wait in a lock-free FIFO lane (no
 * comparisons); only jobs with another priority pay for a heap.
 *
 * <p>Thread-safety: guarded by its engine's {@code mainLock}, except two operations a submitter
 * may do without it, for a fresh default-priority job: {@link #tryReserve} (a place counted
 * against the capacity) and then {@link #offerReserved} (the job joins the FIFO lane). Everything
 * that takes jobs out (poll, remove) and every other add happens under the lock, so the lane has
 * one consumer at a time and its head is stable under the lock. {@link #size()} counts reserved
 * places too, so it may exceed what {@link #poll()} can find for a moment; {@link #isEmpty()}
 * looks at what is there.
 */
final class JobQueue {
  private final PriorityQueue<Job> above = new PriorityQueue<>();
  private final ConcurrentLinkedQueue<Job> normal = new ConcurrentLinkedQueue<>();
  /** Jobs queued in every lane, plus places reserved for jobs about to be offered. */
  private final AtomicInteger count = new AtomicInteger();
  /** Retried default-priority jobs, by id: they rejoin in the order they were first submitted. */
  private final PriorityQueue<Job> normalRetries = new PriorityQueue<>();
  private final PriorityQueue<Job> below = new PriorityQueue<>();

  /**
   * Reserves a place if fewer than {@code limit} are taken; the caller then adds its job with
   * {@link #offerReserved} or {@link #addReserved}. Thread-safe.
   */
  boolean tryReserve(int limit) {
    for (int c = count.get(); c < limit; c = count.get()) {
      if (count.compareAndSet(c, c + 1)) {
        return true;
      }
    }
    return false;
  }

  /** Gives back a place {@link #tryReserve} took and no job filled. Thread-safe. */
  void cancelReservation() {
    count.decrementAndGet();
  }

  /** Appends a default-priority job to the FIFO lane, in a place reserved for it. Thread-safe. */
  void offerReserved(Job job) {
    normal.offer(job);
  }

  /** Adds a job, counting it. */
  void add(Job job) {
    count.incrementAndGet();
    addReserved(job);
  }

  /** Adds a job in a place reserved for it. */
  void addReserved(Job job) {
    if (job.priority == 0) {
      normal.add(job);
    } else if (job.priority > 0) {
      above.add(job);
    } else {
      below.add(job);
    }
  }

  /** A retried job goes back in order of its original submission among its priority. */
  void addRetry(Job job) {
    if (job.priority == 0) {
      count.incrementAndGet();
      normalRetries.add(job);
    } else {
      add(job); // the heaps order by (priority, id) already
    }
  }

  Job poll() {
    Job j = pollLanes();
    if (j != null) {
      count.decrementAndGet();
    }
    return j;
  }

  private Job pollLanes() {
    Job j = above.poll();
    if (j != null) {
      return j;
    }
    Job retried = normalRetries.peek();
    Job fresh = normal.peek(); // the lane's only consumer is whoever holds the lock: its head stays
    if (retried != null && (fresh == null || retried.id < fresh.id)) {
      return normalRetries.poll();
    }
    j = normal.poll();
    return j != null ? j : below.poll();
  }

  boolean remove(Job job) {
    boolean removed;
    if (job.priority == 0) {
      removed = normal.remove(job) || normalRetries.remove(job);
    } else {
      removed = job.priority > 0 ? above.remove(job) : below.remove(job);
    }
    if (removed) {
      count.decrementAndGet();
    }
    return removed;
  }

  /** Queued jobs, and places reserved for jobs about to be offered. Thread-safe. */
  int size() {
    return count.get();
  }

  boolean isEmpty() {
    return above.isEmpty() && normal.isEmpty() && normalRetries.isEmpty() && below.isEmpty();
  }

  /**
   * Copies the queued jobs into {@code out} in the order they will run, at most {@code limit} of
   * them; cheap for a long queue of default-priority jobs, which is copied only as far as the limit.
   * (The heaps are copied whole and sorted: they hold the few jobs with another priority.)
   */
  void copyInRunOrder(List<Job> out, int limit) {
    if (limit <= 0) {
      return;
    }
    List<Job> a = new ArrayList<>(above);
    a.sort(null);
    addUpTo(out, a, limit);
    if (!normalRetries.isEmpty()) {
      List<Job> n = new ArrayList<>(normalRetries);
      long wanted = (long) limit - out.size() + normalRetries.size(); // enough fresh ones to fill the rest
      for (Job j : normal) {
        if (n.size() >= wanted) {
          break;
        }
        n.add(j);
      }
      n.sort(null);
      addUpTo(out, n, limit);
    } else {
      for (Job j : normal) {
        if (out.size() >= limit) {
          return;
        }
        out.add(j);
      }
    }
    if (out.size() < limit && !below.isEmpty()) {
      List<Job> b = new ArrayList<>(below);
      b.sort(null);
      addUpTo(out, b, limit);
    }
  }

  private static void addUpTo(List<Job> out, List<Job> from, int limit) {
    for (Job j : from) {
      if (out.size() >= limit) {
        return;
      }
      out.add(j);
    }
  }

  /** Every queued job, in the order they would run. */
  List<Job> snapshotInRunOrder() {
    List<Job> all = new ArrayList<>(Math.max(0, size()));
    List<Job> a = new ArrayList<>(above);
    a.sort(null);
    all.addAll(a);
    List<Job> n = new ArrayList<>(normal);
    n.addAll(normalRetries);
    n.sort(null);
    all.addAll(n);
    List<Job> b = new ArrayList<>(below);
    b.sort(null);
    all.addAll(b);
    return all;
  }
}
