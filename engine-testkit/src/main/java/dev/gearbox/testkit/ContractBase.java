package dev.gearbox.testkit;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fixture behind every concern: the {@link #configure} hook that selects the backend, engines
 * opened for a test and closed (and awaited) after it, a fresh signal directory per test, the
 * Awaitility defaults, and a 120 s timeout on every test so that a hang fails.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class ContractBase implements ContractFixture {

  @TempDir
  Path tempDir;

  private final List<Engine> opened = new ArrayList<>();

  /** Selects and configures the backend under test; called for every engine a test opens. */
  protected abstract EngineConfig.Builder configure(EngineConfig.Builder builder);

  @BeforeAll
  static void awaitility() {
    Awaitility.setDefaultTimeout(PROMPTLY);
    Awaitility.setDefaultPollInterval(Duration.ofMillis(5));
    Awaitility.setDefaultPollDelay(Duration.ZERO);
  }

  /** The defaults are global: the next test class in this JVM starts from Awaitility's own. */
  @AfterAll
  static void awaitilityReset() {
    Awaitility.reset();
  }

  @Override
  public final Engine open() {
    return open(b -> b);
  }

  @Override
  public final Engine open(UnaryOperator<EngineConfig.Builder> customize) {
    Engine e = Engine.open(customize.apply(configure(EngineConfig.newBuilder())).build());
    opened.add(e);
    return e;
  }

  @Override
  public final String dir() {
    return tempDir.toString();
  }

  @AfterEach
  void closeEngines() throws InterruptedException {
    Signals.raise(dir(), "release"); // let tasks that ignore interrupts finish
    for (Engine e : opened) {
      e.shutdownNow();
      e.close();
      assertTerminates(e);
    }
  }
}
