package dev.gearbox.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.MapOptions;
import dev.gearbox.Task;
import dev.gearbox.TaskFunction;
import dev.gearbox.TaskFuture;
import dev.gearbox.TaskOptions;
import dev.gearbox.testkit.Browser;
import dev.gearbox.testkit.Signals;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live web view in a real headless Chromium, on the process backend: tasks appear and finish,
 * a worker's crash shows with its message, a map's progress moves. Leaves a screenshot in
 * {@code target/dashboard.png}. Without a browser it fails in CI (and is skipped elsewhere) with how
 * to install one.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DashboardBrowserTest {
  private static final Duration PAGE = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  private static Task<String> blockUntil(String dir, String signal) {
    return () -> {
      Signals.raise(dir, "started-" + signal);
      Signals.awaitInTask(dir, signal);
      return signal;
    };
  }

  private static Task<String> crashing() {
    return () -> {
      System.err.println("dashboard test: this worker is about to halt");
      System.err.flush();
      Thread.sleep(200); // let the line reach the engine before the JVM goes
      Runtime.getRuntime().halt(41);
      return "unreachable";
    };
  }

  private static TaskFunction<Integer, Integer> slow() {
    return i -> {
      Thread.sleep(60);
      return i;
    };
  }

  @Test
  void tasksAppearAndFinish_aCrashShowsItsMessage_andAMapsProgressMoves() throws Exception {
    if (Browser.find() == null) {
      if (System.getenv("CI") != null) {
        throw new AssertionError(Browser.INSTALL);
      }
      Assumptions.abort(Browser.INSTALL);
    }
    String signals = dir.toString();
    Path profile = Files.createDirectories(dir.resolve("profile"));
    try (Engine engine = Engine.open(EngineConfig.newBuilder().backend("process").name("dashboard-e2e").workers(2)
        .dashboard(0).build());
        Browser page = Browser.open(engine.dashboardUri().orElseThrow(), profile, 1280, 1100)) {
      await().atMost(PAGE).until(() -> "live".equals(page.eval("document.getElementById('live')?.textContent")));

      TaskFuture<String> slow = engine.submit(blockUntil(signals, "release-slow"), TaskOptions.named("slow-report"));
      TaskFuture<String> second = null;
      TaskFuture<String> held = null;
      TaskFuture<String> queued = null;
      try {
        // RUNNING from its dispatch on; the worker it runs on shows once the worker said it started.
        await().atMost(PAGE).until(() -> "RUNNING".equals(
            page.eval("[...document.querySelectorAll('#tasks tr[data-id]')].filter(r => r.textContent.includes('slow-report'))"
                + ".map(r => r.dataset.state)[0]")));
        await("where it runs").atMost(PAGE).until(() -> String.valueOf(cell(page, "slow-report", 4)).startsWith("worker-"));
        // With both workers busy, of two more tasks one is held by a worker behind its running task
        // (prefetch 1): sent there, not started; the other waits in the engine.
        second = engine.submit(blockUntil(signals, "release-slow"), TaskOptions.named("second-report"));
        await("the second worker busy").atMost(PAGE).until(() -> "running".equals(cell(page, "second-report", 2)));
        held = engine.submit(() -> "held", TaskOptions.named("held-report"));
        queued = engine.submit(() -> "queued", TaskOptions.named("queued-report"));
        await("a held task shows as sent, with its worker").atMost(PAGE).until(() -> "sent".equals(cell(page, "held-report", 2))
            && String.valueOf(cell(page, "held-report", 4)).startsWith("worker-"));
        assertThat(cell(page, "queued-report", 2)).isEqualTo("queued");
      } finally {
        Signals.raise(signals, "release-slow"); // else closing the engine would wait for the tasks for ever
      }
      assertThat(slow.get(30, TimeUnit.SECONDS)).isEqualTo("release-slow");
      assertThat(second.get(30, TimeUnit.SECONDS)).isEqualTo("release-slow");
      assertThat(held.get(30, TimeUnit.SECONDS)).isEqualTo("held");
      assertThat(queued.get(30, TimeUnit.SECONDS)).isEqualTo("queued");
      await().atMost(PAGE).until(() -> "succeeded".equals(
          page.eval("[...document.querySelectorAll('#finished .line')].find(l => l.textContent.includes('slow-report'))?.dataset.outcome")));

      TaskFuture<String> crash = engine.submit(crashing(), TaskOptions.named("crash-report"));
      ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> crash.get(30, TimeUnit.SECONDS));
      assertThat(failure.getCause()).isInstanceOf(dev.gearbox.WorkerCrashedException.class);
      await().atMost(PAGE).until(() -> "true".equals(page.eval(
          "[...document.querySelectorAll('#worker-events .wev')].some(e => e.dataset.kind === 'crashed' && e.textContent.includes('41'))")));
      await().atMost(PAGE).until(() -> "true".equals(page.eval(
          "[...document.querySelectorAll('#finished .line')].some(l => l.dataset.outcome === 'failed'"
              + " && l.textContent.includes('crash-report') && l.textContent.includes('about to halt'))")));

      CompletableFuture<Long> mapped = CompletableFuture.supplyAsync(() -> {
        try (Stream<Integer> out = engine.map(slow(), IntStream.range(0, 80).boxed().toList(),
            MapOptions.newBuilder().chunkSize(1).build())) {
          return out.count();
        }
      });
      await().atMost(PAGE).until(() -> doneOfMap(page) > 0);
      long first = doneOfMap(page);
      await().atMost(PAGE).until(() -> doneOfMap(page) > first);
      assertThat(page.eval("document.querySelector('#maps .map').dataset.total")).isEqualTo("80");
      page.screenshot(Path.of("target", "dashboard.png"));
      assertThat(mapped.get(60, TimeUnit.SECONDS)).isEqualTo(80);
    }
  }

  /** The text of column {@code column} of the tasks table's row for the task named {@code name}, or null. */
  private static String cell(Browser page, String name, int column) {
    return page.eval("[...document.querySelectorAll('#tasks tr[data-id]')].find(r => r.children[1].textContent === '" + name + "')"
        + "?.children[" + column + "].textContent");
  }

  private static long doneOfMap(Browser page) {
    String done = page.eval("document.querySelector('#maps .map')?.dataset.done");
    return done == null ? -1 : Long.parseLong(done);
  }
}
