package dev.gearbox.view;

import dev.gearbox.EngineListener;
import dev.gearbox.TaskEvent;
import dev.gearbox.TaskTimeoutException;
import dev.gearbox.WorkerEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the dashboard remembers of the engine's events: a timeline per task (queued, started,
 * retried, timed out, failed with its message (a crashed worker's lines among them), succeeded,
 * cancelled) for the most recent {@link #MAX_TASKS} tasks, and the latest worker events. Bounded:
 * the oldest tasks are forgotten first. Fed on the engine's event thread; read by the dashboard's
 * sampler. Thread-safe (its monitor).
 */
final class Timeline implements EngineListener {
  static final int MAX_TASKS = 2_000;
  static final int MAX_EVENTS_PER_TASK = 40;
  static final int MAX_WORKER_EVENTS = 200;
  /** The longest failure message kept (a crash report holds the worker's last lines). */
  static final int MAX_DETAIL = 4_000;

  /** One task's timeline. */
  private static final class Line {
    final long id;
    final String name;
    final List<Map<String, Object>> events = new ArrayList<>();
    String outcome;

    Line(long id, String name) {
      this.id = id;
      this.name = name;
    }
  }

  private final LinkedHashMap<Long, Line> tasks = new LinkedHashMap<>();
  private final ArrayDeque<Map<String, Object>> workerEvents = new ArrayDeque<>();
  private final ArrayDeque<Long> finished = new ArrayDeque<>();

  private synchronized void add(TaskEvent e, String kind, String detail) {
    Line line = tasks.get(e.taskId());
    if (line == null) {
      line = new Line(e.taskId(), e.taskName());
      tasks.put(e.taskId(), line);
      if (tasks.size() > MAX_TASKS) {
        Iterator<Long> it = tasks.keySet().iterator();
        Long oldest = it.next();
        it.remove();
        finished.remove(oldest);
      }
    }
    if (line.events.size() < MAX_EVENTS_PER_TASK) {
      Map<String, Object> ev = new LinkedHashMap<>();
      ev.put("at", Instant.now());
      ev.put("kind", kind);
      ev.put("attempt", e.attempt());
      if (detail != null) {
        ev.put("detail", detail.length() > MAX_DETAIL ? detail.substring(0, MAX_DETAIL) + "..." : detail);
      }
      line.events.add(ev);
    }
    if (kind.equals("succeeded") || kind.equals("failed") || kind.equals("timed out") || kind.equals("cancelled")) {
      line.outcome = kind;
      finished.remove(e.taskId());
      finished.addLast(e.taskId());
    }
  }

  @Override
  public void taskSubmitted(TaskEvent e) {
    add(e, "queued", null);
  }

  @Override
  public void taskStarted(TaskEvent e) {
    add(e, "started", null);
  }

  @Override
  public void taskRetried(TaskEvent e, Throwable failure, Duration delay) {
    add(e, "retried", describe(failure) + " (next attempt in " + delay.toMillis() + " ms)");
  }

  @Override
  public void taskSucceeded(TaskEvent e) {
    add(e, "succeeded", null);
  }

  @Override
  public void taskFailed(TaskEvent e, Throwable failure) {
    add(e, failure instanceof TaskTimeoutException ? "timed out" : "failed", describe(failure));
  }

  @Override
  public void taskCancelled(TaskEvent e) {
    add(e, "cancelled", null);
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  private synchronized void worker(String kind, WorkerEvent e) {
    Map<String, Object> ev = new LinkedHashMap<>();
    ev.put("at", Instant.now());
    ev.put("kind", kind);
    ev.put("worker", e.worker());
    ev.put("detail", e.detail());
    workerEvents.addLast(ev);
    if (workerEvents.size() > MAX_WORKER_EVENTS) {
      workerEvents.removeFirst();
    }
  }

  @Override
  public void workerStarted(WorkerEvent e) {
    worker("started", e);
  }

  @Override
  public void workerCrashed(WorkerEvent e) {
    worker("crashed", e);
  }

  @Override
  public void workerRecycled(WorkerEvent e) {
    worker("recycled", e);
  }

  /** The timelines of the tasks {@code ids} and of the {@code recent} last finished tasks, and the worker events. */
  synchronized Map<String, Object> toMap(Collection<Long> ids, int recent) {
    Map<String, Object> lines = new LinkedHashMap<>();
    for (Long id : ids) {
      Line l = tasks.get(id);
      if (l != null) {
        lines.put(Long.toString(id), lineMap(l));
      }
    }
    List<Object> done = new ArrayList<>();
    Iterator<Long> it = finished.descendingIterator();
    while (it.hasNext() && done.size() < recent) {
      Line l = tasks.get(it.next());
      if (l != null) {
        done.add(lineMap(l));
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("timelines", lines);
    m.put("finished", done);
    m.put("workerEvents", new ArrayList<>(workerEvents));
    return m;
  }

  private static Map<String, Object> lineMap(Line l) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", l.id);
    m.put("name", l.name);
    m.put("outcome", l.outcome);
    m.put("events", new ArrayList<>(l.events));
    return m;
  }
}
