package dev.gearbox.cluster;

import dev.gearbox.EngineException;
import dev.gearbox.TaskContext;
import dev.gearbox.WorkerCrashedException;
import dev.gearbox.spi.ChannelHost;
import dev.gearbox.spi.Execution;
import dev.gearbox.spi.Work;
import dev.gearbox.spi.remote.RelayedAttempt;
import dev.gearbox.spi.remote.SerialCodec;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * One {@link RemoteTask} on its member's process pool ({@link IsolatedTasks}): the attempt the
 * member hands to its local process backend, and the answer the member sends back to the engine.
 * The work goes to the worker as the bytes the engine sent (it is never decoded in the member's
 * JVM), and its outcome comes back as the worker encoded it ({@link RelayedAttempt}), behind the
 * tag byte of {@link MemberRuntime}'s answers. A worker that dies under it (exit, halt, out of
 * memory, killed by the stop ladder) makes it a {@link MemberRuntime#CRASHED} answer
 * ({@link CrashedAnswer}), which the engine reports as a {@link WorkerCrashedException} naming
 * the task, the worker and the member.
 *
 * <p>The stop ladder reaches it from the member's cancel path: {@link #cancel} before the local
 * backend has started it is kept and passed on as soon as it has.
 *
 * <p>Thread-safety: the answer completes once, whichever report comes first; {@link #execution}
 * and the pending cancel are guarded by this object's monitor, and the local execution is called
 * outside it.
 */
final class IsolatedAttempt implements RelayedAttempt {
  private final RemoteTask task;
  private final SerialCodec codec;
  private final BooleanSupplier cancelled;
  private final ProgressSink progress;
  private final ChannelHost channels;
  private final CompletableFuture<byte[]> answer = new CompletableFuture<>();
  /** Guarded by this. Null until the local backend has started the attempt. */
  private Execution execution;
  /** Guarded by this: a cancel that came before {@link #execution}: 0 none, 1 flag, 2 interrupt. */
  private int pendingCancel;

  /** Where a worker's progress goes: the engine's progress topic. */
  interface ProgressSink {
    void progress(RemoteTask task, double fraction, String message);
  }

  /**
   * @param cancelled the task's cooperative flag on the member (set by a cancel from its engine)
   * @param channels where the worker's channel calls for this task are performed
   */
  IsolatedAttempt(RemoteTask task, SerialCodec codec, BooleanSupplier cancelled, ProgressSink progress, ChannelHost channels) {
    this.task = task;
    this.codec = codec;
    this.cancelled = cancelled;
    this.progress = progress;
    this.channels = channels;
  }

  /** The engine's channels: this JVM's if the engine is here, else forwarded to it ({@link ForwardedChannels}). */
  @Override
  public ChannelHost channelHost() {
    return channels;
  }

  /** Waits, not interruptibly, for the answer: the stop ladder ends the attempt, so one always comes. */
  byte[] answer() {
    return answer.join();
  }

  boolean answered() {
    return answer.isDone();
  }

  /** The local backend's handle; a cancel that came first is passed on now. */
  void started(Execution e) {
    int pending;
    synchronized (this) {
      execution = e;
      pending = pendingCancel;
    }
    if (pending > 0) {
      forward(e, pending == 2);
    }
  }

  /** Passes a cancel from the engine to the local attempt ({@code interrupt}: a CANCEL frame that interrupts the task). */
  void cancel(boolean interrupt) {
    Execution e;
    synchronized (this) {
      e = execution;
      if (e == null) {
        pendingCancel = Math.max(pendingCancel, interrupt ? 2 : 1);
        return;
      }
    }
    forward(e, interrupt);
  }

  private static void forward(Execution e, boolean interrupt) {
    if (interrupt) {
      e.interrupt();
    } else {
      e.cancel();
    }
  }

  /** Kills the task's worker if it still runs there; its death answers the attempt. */
  boolean kill() {
    Execution e;
    synchronized (this) {
      e = execution;
    }
    return e != null && !answer.isDone() && e.kill();
  }

  // ---------------------------------------------------------------- Attempt

  @Override
  public long taskId() {
    return task.taskId;
  }

  @Override
  public String taskName() {
    return task.taskName;
  }

  @Override
  public int number() {
    return task.attempt;
  }

  /** Never decoded here: the worker reads {@link #prepared()}. */
  @Override
  public Work work() {
    throw new UnsupportedOperationException("a member with isolation=process does not decode tasks; its workers do");
  }

  /** The bytes the engine sent: what the local backend sends to its worker. */
  @Override
  public Object prepared() {
    return task.work;
  }

  @Override
  public TaskContext context() {
    throw new UnsupportedOperationException("the task runs in a worker process, with a context of its own");
  }

  @Override
  public boolean isCancelled() {
    return cancelled.getAsBoolean();
  }

  @Override
  public void progress(double fraction, String message) {
    progress.progress(task, fraction, message);
  }

  /** Nothing: the engine started the attempt's clock when it sent it. */
  @Override
  public void started() {}

  @Override
  public void relayResult(byte[] data, int offset) {
    answer.complete(tagged(MemberRuntime.OK, data, offset));
  }

  @Override
  public void relayFailure(byte[] data, int offset) {
    answer.complete(tagged(MemberRuntime.FAILED, data, offset));
  }

  /** Only if the local backend decoded the result itself: encoded again for the engine. */
  @Override
  public void succeeded(Object result) {
    try {
      byte[] bytes = codec.encode(result);
      answer.complete(tagged(MemberRuntime.OK, bytes, 0));
    } catch (IOException | RuntimeException e) {
      failed(e);
    }
  }

  /** A failure the local backend made up (an outcome it could not read), encoded for the engine. */
  @Override
  public void failed(Throwable failure) {
    try {
      answer.complete(codec.encodeFailure(new byte[] {MemberRuntime.FAILED}, failure));
    } catch (IOException e) {
      answer.complete(MemberRuntime.cannotRun("its exception " + failure.getClass().getName() + " could not be encoded: " + e));
    }
  }

  /**
   * The attempt ended without an outcome from its work: its worker died ({@link MemberRuntime#CRASHED}),
   * it was cancelled before a worker took it, or the pool is shutting down.
   */
  @Override
  public void lost(EngineException failure) {
    if (failure instanceof WorkerCrashedException crash) {
      answer.complete(CrashedAnswer.encode(crash));
    } else if (cancelled.getAsBoolean()) {
      answer.complete(new byte[] {MemberRuntime.CANCELLED});
    } else {
      answer.complete(MemberRuntime.cannotRun("its member's worker processes could not run it: " + CrashedAnswer.withoutTask(failure)));
    }
  }

  @Override
  public void attach(Execution e) {
    throw new UnsupportedOperationException("the member's process pool starts attempts only through Backend.start");
  }

  @Override
  public dev.gearbox.spi.Attempt runHere() {
    throw new UnsupportedOperationException("a member's task runs in a worker process, not in the calling thread");
  }

  private static byte[] tagged(byte tag, byte[] data, int offset) {
    byte[] out = new byte[data.length - offset + 1];
    out[0] = tag;
    System.arraycopy(data, offset, out, 1, data.length - offset);
    return out;
  }
}
