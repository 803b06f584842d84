package dev.gearbox.process;

import dev.gearbox.TaskContext;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One attempt inside a worker JVM, from its RUN frame to its outcome: the task's context there
 * (cancellation arrives as CANCEL frames, progress leaves as PROGRESS frames) and the thread
 * that runs it, so that a CANCEL interrupts that thread and only while it runs this task.
 *
 * <p>Thread-safety: {@link #bind}, {@link #unbind} and {@link #cancel} are synchronized, so an
 * interrupt reaches the task's thread exactly when it runs this task; {@link #isCancelled} is a
 * volatile read.
 */
final class WorkerTask implements TaskContext {
  /** Sends a task's progress to the engine. */
  interface ProgressSink {
    void progress(long wire, double fraction, String message) throws IOException;
  }

  final WorkerBound.Run frame;
  private final ProgressSink sink;
  private Thread thread;
  private boolean interruptRequested;
  private volatile boolean cancelled;
  /**
   * Whether it may start: the worker's reading thread has read every frame that was whole on
   * stdin behind its RUN (so a CANCEL or REVOKE there found it unstarted). Guarded by the worker
   * loop's waiting line.
   */
  boolean released;

  WorkerTask(WorkerBound.Run frame, ProgressSink sink) {
    this.frame = frame;
    this.sink = sink;
  }

  long wire() {
    return frame.wire();
  }

  /** The task thread starts; an interrupt that came first is delivered now. */
  synchronized void bind(Thread t) {
    thread = t;
    if (interruptRequested) {
      t.interrupt();
    }
  }

  /** The task has ended: a late cancel interrupts nothing (the thread moves on to other work). */
  synchronized void unbind() {
    thread = null;
  }

  synchronized void cancel(boolean interrupt) {
    cancelled = true;
    if (interrupt) {
      interruptRequested = true;
      if (thread != null) {
        thread.interrupt();
      }
    }
  }

  @Override
  public long taskId() {
    return frame.taskId();
  }

  @Override
  public String taskName() {
    return frame.name();
  }

  @Override
  public int attempt() {
    return frame.attempt();
  }

  @Override
  public boolean isCancelled() {
    return cancelled;
  }

  @Override
  public void progress(double fraction, String message) {
    if (!(fraction >= 0.0 && fraction <= 1.0)) {
      throw new IllegalArgumentException("progress fraction must be within [0, 1], got " + fraction);
    }
    try {
      sink.progress(frame.wire(), fraction, message);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
