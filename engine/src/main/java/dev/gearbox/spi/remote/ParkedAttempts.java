package dev.gearbox.spi.remote;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Attempts that a remote backend has accepted but cannot send yet, because no worker or member
 * has a free slot (workers are starting or being replaced, every member is busy), in the order
 * they came. The core never starts more attempts than the backend's parallelism, so attempts park
 * only while capacity is coming back; their deadlines have not started (they start when the
 * attempt reaches a worker).
 *
 * <p>Not thread-safe: guarded by the lock of the backend that owns it, which is also the lock
 * under which it decides where an attempt goes, so an attempt never parks after a slot it could
 * take was freed.
 *
 * @param <E> the backend's record of one attempt
 */
public final class ParkedAttempts<E> {
  private final ArrayDeque<E> queue = new ArrayDeque<>();

  /** An empty queue. */
  public ParkedAttempts() {}

  /** Parks an attempt behind the others. */
  public void park(E attempt) {
    queue.addLast(attempt);
  }

  /** Puts an attempt taken with {@link #poll} back at the front (it still found no slot). */
  public void putBack(E attempt) {
    queue.addFirst(attempt);
  }

  /** The attempt that waited longest, or null. */
  public E poll() {
    return queue.pollFirst();
  }

  /** Takes an attempt out (it was cancelled before it left); true if it was parked. */
  public boolean remove(E attempt) {
    return queue.removeFirstOccurrence(attempt);
  }

  /** Takes every parked attempt out, oldest first (they will not run: the backend is stopping). */
  public List<E> takeAll() {
    List<E> all = new ArrayList<>(queue);
    queue.clear();
    return all;
  }

  public boolean isEmpty() {
    return queue.isEmpty();
  }

  public int size() {
    return queue.size();
  }
}
