package dev.gearbox.view;

import dev.gearbox.EngineSnapshot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An {@link EngineSnapshot} as JSON: what the dashboard's {@code /api/snapshot} serves, what
 * {@code gearbox top} reads, and what the JMX view returns. Field names are the records'.
 */
public final class SnapshotJson {
  private SnapshotJson() {}

  /** The snapshot as a JSON object. */
  public static String toJson(EngineSnapshot s) {
    return Json.write(toMap(s));
  }

  static Map<String, Object> toMap(EngineSnapshot s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("engine", s.engine());
    m.put("backend", s.backend());
    m.put("takenAt", s.takenAt());
    m.put("parallelism", s.parallelism());
    EngineSnapshot.Counts c = s.counts();
    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("submitted", c.submitted());
    counts.put("completed", c.completed());
    counts.put("failed", c.failed());
    counts.put("cancelled", c.cancelled());
    counts.put("rejected", c.rejected());
    counts.put("retried", c.retried());
    counts.put("timedOut", c.timedOut());
    counts.put("running", c.running());
    counts.put("queued", c.queued());
    counts.put("inFlight", c.inFlight());
    m.put("counts", counts);
    List<Object> tasks = new ArrayList<>(s.tasks().size());
    for (EngineSnapshot.TaskInfo t : s.tasks()) {
      Map<String, Object> tm = new LinkedHashMap<>();
      tm.put("id", t.id());
      tm.put("name", t.name());
      tm.put("state", t.state());
      tm.put("attempt", t.attempt());
      tm.put("where", t.where());
      tm.put("submittedAt", t.submittedAt());
      tm.put("startedAt", t.startedAt());
      tm.put("progress", t.progress() < 0 ? null : t.progress());
      tm.put("progressMessage", t.progressMessage());
      tasks.add(tm);
    }
    m.put("tasks", tasks);
    m.put("tasksNotListed", s.tasksNotListed());
    List<Object> workers = new ArrayList<>();
    for (EngineSnapshot.WorkerInfo w : s.workers()) {
      Map<String, Object> wm = new LinkedHashMap<>();
      wm.put("id", w.id());
      wm.put("pid", w.pid() < 0 ? null : w.pid());
      wm.put("address", w.address());
      wm.put("state", w.state());
      wm.put("tasksDone", w.tasksDone());
      wm.put("heapUsedBytes", w.heapUsedBytes() < 0 ? null : w.heapUsedBytes());
      wm.put("startedAt", w.startedAt());
      wm.put("lastCrash", w.lastCrash());
      workers.add(wm);
    }
    m.put("workers", workers);
    List<Object> maps = new ArrayList<>();
    for (EngineSnapshot.MapInfo p : s.maps()) {
      Map<String, Object> pm = new LinkedHashMap<>();
      pm.put("id", p.id());
      pm.put("done", p.done());
      pm.put("total", p.total() < 0 ? null : p.total());
      pm.put("ratePerSecond", p.ratePerSecond());
      pm.put("startedAt", p.startedAt());
      maps.add(pm);
    }
    m.put("maps", maps);
    return m;
  }
}
