package dev.gearbox.spi.remote;

import dev.gearbox.EngineException;
import dev.gearbox.TaskContext;
import dev.gearbox.spi.Attempt;
import dev.gearbox.spi.Execution;
import dev.gearbox.spi.Work;

/** An attempt that records how it was reported, for tests of the remote layer. */
final class RecordingAttempt implements Attempt {
  private final long taskId;
  private final Object prepared;
  private final Work work;
  volatile String outcome;
  volatile Object value;

  RecordingAttempt(long taskId) {
    this(taskId, null, ctx -> null);
  }

  RecordingAttempt(long taskId, Object prepared, Work work) {
    this.taskId = taskId;
    this.prepared = prepared;
    this.work = work;
  }

  @Override
  public long taskId() {
    return taskId;
  }

  @Override
  public String taskName() {
    return "task-" + taskId;
  }

  @Override
  public int number() {
    return 1;
  }

  @Override
  public Work work() {
    return work;
  }

  @Override
  public Object prepared() {
    return prepared;
  }

  @Override
  public TaskContext context() {
    throw new UnsupportedOperationException();
  }

  @Override
  public boolean isCancelled() {
    return false;
  }

  @Override
  public void progress(double fraction, String message) {}

  @Override
  public void started() {}

  @Override
  public void succeeded(Object result) {
    record("succeeded", result);
  }

  @Override
  public void failed(Throwable failure) {
    record("failed", failure);
  }

  @Override
  public void lost(EngineException failure) {
    record("lost", failure);
  }

  private synchronized void record(String how, Object what) {
    if (outcome == null) {
      outcome = how;
      value = what;
    }
  }

  @Override
  public void attach(Execution execution) {}

  @Override
  public Attempt runHere() {
    throw new UnsupportedOperationException();
  }
}
