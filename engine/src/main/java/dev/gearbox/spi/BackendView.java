package dev.gearbox.spi;

import dev.gearbox.EngineSnapshot;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A backend's part of an {@link EngineSnapshot}: its workers or members, and where the attempts it
 * holds run. Made by {@link Backend#view()}; immutable.
 *
 * @param workers    the workers or members
 * @param placements where each held attempt runs, by task id ({@code worker-2 pid 4242}, a member's address)
 */
public record BackendView(List<EngineSnapshot.WorkerInfo> workers, Map<Long, String> placements) {
  /** A backend with nothing to add (in-process backends). */
  public static final BackendView NONE = new BackendView(List.of(), Map.of());

  public BackendView {
    workers = List.copyOf(workers);
    placements = Map.copyOf(placements);
  }

  /**
   * The placements a backend collects for a view, one task at a time: an attempt given up (a
   * timeout) may still be held beside its retry, elsewhere, and the latest attempt wins. Not
   * thread-safe: one backend fills one, under its own lock.
   */
  public static final class Placements {
    private final Map<Long, String> where = new HashMap<>();
    private final Map<Long, Integer> attempt = new HashMap<>();

    /** Empty. */
    public Placements() {}

    /** {@code a} is held at {@code where}; kept unless a later attempt of its task is already placed. */
    public void add(Attempt a, String where) {
      Integer placed = attempt.get(a.taskId());
      if (placed == null || placed < a.number()) {
        attempt.put(a.taskId(), a.number());
        this.where.put(a.taskId(), where);
      }
    }

    /** Where each task's latest placed attempt is held, by task id. */
    public Map<Long, String> byTask() {
      return where;
    }
  }
}
