package dev.gearbox;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;

/**
 * What an engine is doing at one moment: its counts, its unfinished tasks (running ones first,
 * then the queued ones in the order they will run, up to the limit asked for) and, on backends that
 * have them, its workers or members. Made by {@link Engine#snapshot(int)}; immutable.
 *
 * <p>Consistency: the counts and which tasks are listed, with their states, are read at one
 * instant under the engine's lock; each task's attempt, placement and progress, and the workers,
 * are read just after, without it, so they may be a moment newer. Nothing here crosses to worker
 * processes or members: it is what the engine has heard from them.
 *
 * @param engine      the engine's name
 * @param backend     the backend's name
 * @param takenAt     when the snapshot was taken
 * @param parallelism how many tasks run at once at most
 * @param counts      the engine's counters
 * @param tasks       unfinished tasks: running (and waiting to retry) first, then queued in run order
 * @param tasksNotListed queued tasks left out by the limit
 * @param workers     the backend's workers or members (empty for in-process backends)
 * @param maps        the {@code map} calls in progress that report progress (those with a
 *                    {@link MapOptions.Builder#progress listener}, and all of them while the
 *                    engine's dashboard or JMX view is on)
 */
public record EngineSnapshot(String engine, String backend, Instant takenAt, int parallelism, Counts counts,
    List<TaskInfo> tasks, int tasksNotListed, List<WorkerInfo> workers, List<MapInfo> maps) {

  public EngineSnapshot {
    requireNonNull(engine, "engine");
    requireNonNull(backend, "backend");
    requireNonNull(takenAt, "takenAt");
    requireNonNull(counts, "counts");
    tasks = List.copyOf(tasks);
    workers = List.copyOf(workers);
    maps = List.copyOf(maps);
  }

  /**
   * One {@code map} call in progress.
   *
   * @param id        its number in this engine
   * @param done      inputs done
   * @param total     inputs in all, or -1 if unknown
   * @param ratePerSecond inputs done per second since it started
   * @param startedAt when it started
   */
  public record MapInfo(long id, long done, long total, double ratePerSecond, Instant startedAt) {}

  /** Where a listed task stands. */
  public enum TaskState {
    /** Waiting for a slot. */
    QUEUED,
    /** Handed to the backend: running, or about to start there (its {@code startedAt} is null until it does). */
    RUNNING,
    /** An attempt failed; the next waits for its backoff. */
    RETRY_WAIT
  }

  /**
   * One unfinished task.
   *
   * @param id          the task's id
   * @param name        its name
   * @param state       where it stands
   * @param attempt     the current attempt (0 before the first)
   * @param where       where the attempt runs, or was sent to run (then {@code startedAt} is null
   *                    until it starts there): a thread, a worker ({@code worker-2 pid 4242}), a
   *                    member's address; null when not running or not known
   * @param submittedAt when it was submitted
   * @param startedAt   when the current attempt started running, or null
   * @param progress    the last fraction the attempt reported (0..1), or -1 for none
   * @param progressMessage the message with it, or null
   */
  public record TaskInfo(long id, String name, TaskState state, int attempt, String where, Instant submittedAt,
      Instant startedAt, double progress, String progressMessage) {}

  /**
   * One worker process or cluster member, as the backend last heard of it.
   *
   * @param id        how messages name it ({@code worker-2}, a member's uuid)
   * @param pid       its process id, or -1
   * @param address   its network address, or null
   * @param state     its state, in the backend's words ({@code READY}, {@code STARTING}, ...)
   * @param tasksDone attempts it ran to an end
   * @param heapUsedBytes heap in use at its last report, or -1 if unknown
   * @param startedAt when it started, or null
   * @param lastCrash how the latest worker in its place died, or null
   */
  public record WorkerInfo(String id, long pid, String address, String state, long tasksDone, long heapUsedBytes,
      Instant startedAt, String lastCrash) {}

  /**
   * The engine's counters at the snapshot (the same as its metrics).
   *
   * @param submitted accepted tasks
   * @param completed tasks that succeeded
   * @param failed    tasks that failed for good
   * @param cancelled tasks cancelled
   * @param rejected  submits refused
   * @param retried   retries scheduled
   * @param timedOut  attempts that timed out
   * @param running   backend slots taken
   * @param queued    tasks waiting for a slot now
   * @param inFlight  accepted tasks whose futures are not complete
   */
  public record Counts(long submitted, long completed, long failed, long cancelled, long rejected, long retried,
      long timedOut, long running, long queued, long inFlight) {}
}
