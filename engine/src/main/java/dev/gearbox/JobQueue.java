package dev.gearbox;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The engine's queue of jobs waiting for a slot: highest priority first, submission order among
 * equals. Nearly every job has the default priority 0, so those wait in a FIFO deque (O(1), no
 * comparisons under the engine lock); only jobs with another priority pay for a heap. Not
 * thread-safe: guarded by its engine's {@code mainLock}.
 */
final class JobQueue {
  /** Higher priority first, then submission order. */
  static final Comparator<Job> RUN_ORDER = (x, y) -> {
    int c = Integer.compare(y.priority(), x.priority());
    return c != 0 ? c : Long.compare(x.id, y.id);
  };

  private final PriorityQueue<Job> above = new PriorityQueue<>(RUN_ORDER);
  private final ArrayDeque<Job> normal = new ArrayDeque<>();
  /** Retried default-priority jobs, by id: they rejoin in the order they were first submitted. */
  private final PriorityQueue<Job> normalRetries = new PriorityQueue<>(RUN_ORDER);
  private final PriorityQueue<Job> below = new PriorityQueue<>(RUN_ORDER);

  void add(Job job) {
    int priority = job.priority();
    if (priority == 0) {
      normal.add(job);
    } else if (priority > 0) {
      above.add(job);
    } else {
      below.add(job);
    }
  }

  /** A retried job goes back in order of its original submission among its priority. */
  void addRetry(Job job) {
    if (job.priority() == 0) {
      normalRetries.add(job);
    } else {
      add(job); // the heaps order by (priority, id) already
    }
  }

  Job poll() {
    Job j = above.poll();
    if (j != null) {
      return j;
    }
    Job retried = normalRetries.peek();
    Job fresh = normal.peek();
    if (retried != null && (fresh == null || retried.id < fresh.id)) {
      return normalRetries.poll();
    }
    j = normal.poll();
    return j != null ? j : below.poll();
  }

  boolean remove(Job job) {
    int priority = job.priority();
    if (priority == 0) {
      return normal.remove(job) || normalRetries.remove(job);
    }
    return priority > 0 ? above.remove(job) : below.remove(job);
  }

  int size() {
    return above.size() + normal.size() + normalRetries.size() + below.size();
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
    a.sort(RUN_ORDER);
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
      n.sort(RUN_ORDER);
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
      b.sort(RUN_ORDER);
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
    List<Job> all = new ArrayList<>(size());
    List<Job> a = new ArrayList<>(above);
    a.sort(RUN_ORDER);
    all.addAll(a);
    List<Job> n = new ArrayList<>(normal);
    n.addAll(normalRetries);
    n.sort(RUN_ORDER);
    all.addAll(n);
    List<Job> b = new ArrayList<>(below);
    b.sort(RUN_ORDER);
    all.addAll(b);
    return all;
  }
}
