package dev.gearbox;

import dev.gearbox.spi.Attempt;
import dev.gearbox.spi.Backend;
import dev.gearbox.spi.BackendProvider;
import dev.gearbox.spi.BackendSettings;
import dev.gearbox.spi.Execution;
import java.time.Duration;
import java.util.List;

/**
 * Runs each task in the thread that submits it, before {@code submit} returns: joblib's
 * {@code n_jobs=1}, Celery's eager mode. For debugging (stack traces show the caller) and tests.
 *
 * <p>Timeouts interrupt the submitting thread while the task runs and fail the future at the
 * deadline; {@code submit} itself returns when the task does. Parallelism is unbounded, so a
 * task may submit and wait for another task without deadlock.
 */
final class DirectBackend implements Backend {
  static final String NAME = "direct";

  @Override
  public BackendCapabilities capabilities() {
    return BackendCapabilities.inProcess();
  }

  @Override
  public int parallelism() {
    return Integer.MAX_VALUE;
  }

  @Override
  public Execution start(Attempt attempt) {
    for (Attempt a = attempt; a != null; ) {
      a = a.runHere();
    }
    return Execution.runHere();
  }

  @Override
  public void shutdown() {}

  @Override
  public void shutdownNow() {}

  @Override
  public boolean awaitTermination(Duration timeout) {
    return true;
  }

  /** Built in: always available, needs no module. */
  static final class Provider implements BackendProvider {
    @Override
    public String name() {
      return NAME;
    }

    @Override
    public List<ConfigKey> declaredKeys() {
      return List.of();
    }

    @Override
    public Backend create(BackendSettings settings) {
      return new DirectBackend();
    }
  }
}
