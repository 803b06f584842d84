package dev.gearbox.spi;

import dev.gearbox.EngineSnapshot;
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
}
