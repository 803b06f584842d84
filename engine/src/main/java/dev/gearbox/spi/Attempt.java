package dev.gearbox.spi;

import dev.gearbox.EngineException;
import dev.gearbox.TaskContext;

/**
 * One attempt at running a task, handed by the core to {@link Backend#start}. The backend runs
 * {@link #work()} and reports how it ended by calling exactly one of {@link #succeeded},
 * {@link #failed} or {@link #lost}. Later reports are ignored, and the core counts the backend's
 * slot as busy until the first report arrives, even after the caller's future has completed
 * (by a timeout or a cancellation).
 *
 * <p>Thread-safety: all methods may be called from any thread. Reporting completes the caller's
 * future, which runs the caller's dependent actions in the reporting thread; backends must not
 * report from an I/O thread (a pipe reader, a selector) but hand off to a worker thread first.
 */
public interface Attempt {

  long taskId();

  String taskName();

  /** 1 for the first attempt. */
  int number();

  /** What to run. It may be a new object on each call: do not rely on its identity. */
  Work work();

  /**
   * The submitter's SLF4J MDC that this attempt's work restores where it runs (empty when there is
   * none, or {@code gearbox.context.mdc=false}), for a backend that logs on the task's behalf (a
   * worker's output lines) to log with it.
   */
  default java.util.Map<String, String> loggingContext() {
    return java.util.Map.of();
  }

  /**
   * Where the channel operations of this attempt's task are performed, for a backend whose tasks
   * reach channels from another JVM: this JVM's channels, unless the attempt is run here on behalf
   * of an engine in another JVM (a cluster member's worker process), whose channels it forwards to.
   */
  default ChannelHost channelHost() {
    return ChannelHost.local();
  }

  /** What {@link Backend#prepare} returned for this task at submit, or null. */
  Object prepared();

  /**
   * The context for in-process execution: cancellation flag and progress go straight to the
   * core. Remote backends build their own context in the worker and relay
   * {@link #isCancelled()} and {@link #progress} over their channel.
   */
  TaskContext context();

  /** Whether the core wants this attempt stopped (caller cancelled, deadline passed, shutdown). */
  boolean isCancelled();

  /** Relays a progress report from a remote worker. */
  void progress(double fraction, String message);

  /** Tells the core the work actually began running (starts the run-time clock and deadline). */
  void started();

  /** The work returned {@code result}. */
  void succeeded(Object result);

  /** The work threw {@code failure}: the user's own exception, passed to the caller as is. */
  void failed(Throwable failure);

  /**
   * The attempt ended without an outcome from the work: the worker died, the channel broke, the
   * backend shut down. The exception must name what happened (exit code, signal, stderr tail).
   */
  void lost(EngineException failure);

  /**
   * Hands {@code report} (which decodes an outcome and calls one of {@link #succeeded},
   * {@link #failed} or {@link #lost}) to a thread that may report: for a backend whose outcomes
   * arrive on an I/O thread. The caller's own thread when it waits for this task in
   * {@code TaskFuture.get()} or {@code join()} and nothing depends on the future (it must wake
   * anyway; the report then completes the future in that thread and one hand-off is spared), else
   * {@code executor}. Never runs {@code report} in the calling thread.
   */
  default void report(Runnable report, java.util.concurrent.Executor executor) {
    executor.execute(report);
  }

  /**
   * Attaches the execution of an attempt that the backend started by itself rather than through
   * {@link Backend#start} (one that {@link #runHere()} handed over but the backend did not run
   * here), so that cancellation and timeouts reach it. If the attempt is already cancelled, the
   * execution is interrupted at once.
   */
  void attach(Execution execution);

  /**
   * Runs the work in the calling thread and reports the outcome: the whole job of an in-process
   * backend's worker thread. The core interrupts this thread (and only while the work runs) when
   * the attempt is cancelled or times out, and clears that interrupt afterwards so it does not
   * leak into the thread's next job. Does not run the work if already cancelled.
   *
   * @return the next attempt the core dispatches to this backend on the slot this one freed, to
   *     be run by the same thread by calling its {@code runHere()} in turn (a loop, not
   *     recursion); or {@code null}. Running it here spares a hand-over through a queue. A
   *     backend that cannot run it here passes it to its own {@link Backend#start} logic.
   */
  Attempt runHere();
}
