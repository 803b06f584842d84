package dev.gearbox;

import dev.gearbox.spi.BackendView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds an {@link EngineSnapshot} in two steps: {@link #collectLocked} copies references and
 * counts while the engine holds its lock (a few hundred microseconds for a hundred thousand
 * queued tasks: no allocation per task beyond the list's slot), and {@link #build} makes the
 * records after the lock is released, reading each job's racy fields (attempt, placement,
 * progress) as they are then.
 */
final class Snapshots {
  private Snapshots() {}

  /** What is read under the engine's lock. */
  record Collected(List<Job> jobs, byte[] states, int notListed, EngineSnapshot.Counts counts) {}

  static final byte QUEUED = 0;
  static final byte RUNNING = 1;
  static final byte RETRY_WAIT = 2;

  /**
   * Copies the live jobs (running, waiting to retry: all of them) and then queued ones up to
   * {@code maxTasks} in all. Caller holds the engine's mainLock.
   */
  static Collected collectLocked(Job liveHead, JobQueue queue, int maxTasks, EngineSnapshot.Counts counts) {
    List<Job> jobs = new ArrayList<>();
    for (Job j = liveHead; j != null; j = j.nextLive) {
      jobs.add(j);
    }
    int live = jobs.size();
    byte[] states = new byte[live];
    for (int i = 0; i < live; i++) {
      states[i] = jobs.get(i).state == Job.State.WAITING_RETRY ? RETRY_WAIT : RUNNING;
    }
    int room = (int) Math.max(0L, (long) maxTasks - live);
    queue.copyInRunOrder(jobs, live + room);
    int queued = queue.size();
    return new Collected(jobs, states, queued - (jobs.size() - live), counts);
  }

  static EngineSnapshot build(DefaultEngine engine, Collected c, BackendView view) {
    long nanoNow = System.nanoTime();
    Instant now = Instant.now();
    Map<Long, String> placements = view.placements();
    List<EngineSnapshot.TaskInfo> tasks = new ArrayList<>(c.jobs().size());
    for (int i = 0; i < c.jobs().size(); i++) {
      Job j = c.jobs().get(i);
      byte s = i < c.states().length ? c.states()[i] : QUEUED;
      EngineSnapshot.TaskState state = s == RUNNING ? EngineSnapshot.TaskState.RUNNING
          : s == RETRY_WAIT ? EngineSnapshot.TaskState.RETRY_WAIT : EngineSnapshot.TaskState.QUEUED;
      AttemptImpl a = state == EngineSnapshot.TaskState.RUNNING ? j.current : null;
      String where = null;
      Instant started = null;
      double progress = -1;
      String message = null;
      if (a != null) {
        where = a.runnerName();
        if (where == null) {
          where = placements.get(j.id);
        }
        long t = a.startedNanos;
        started = t == 0L ? null : at(now, nanoNow, t);
        AttemptImpl.Progress p = j.progress;
        if (p != null && p.attempt() == a.number()) {
          progress = p.fraction();
          message = p.message();
        }
      }
      tasks.add(new EngineSnapshot.TaskInfo(j.id, j.name(), state, j.attempts(), where,
          at(now, nanoNow, j.submittedNanos), started, progress, message));
    }
    List<EngineSnapshot.MapInfo> maps = new ArrayList<>();
    for (MapRun.Progress p : engine.activeMaps()) {
      maps.add(p.info(now, nanoNow));
    }
    maps.sort(java.util.Comparator.comparingLong(EngineSnapshot.MapInfo::id));
    return new EngineSnapshot(engine.name(), engine.backendName(), now, engine.parallelism(), c.counts(), tasks,
        c.notListed(), view.workers(), maps);
  }

  /** The wall-clock time of a {@code System.nanoTime()} reading. */
  static Instant at(Instant now, long nanoNow, long nanos) {
    return now.minusNanos(nanoNow - nanos);
  }
}
