package dev.gearbox.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.Task;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** A line a task prints in its worker is logged in the engine with the MDC of the task's submitter. */
class WorkerOutputMdcTest {
  private record Logged(String line, Map<String, String> mdc) {}

  private static Task<String> printing(String text) {
    return () -> {
      System.out.println(text);
      return "printed";
    };
  }

  @Test
  void aTasksOutputLine_isLoggedWithItsSubmittersMdc() throws Exception {
    dev.gearbox.testkit.ContractMdc.install(); // slf4j-simple's MDC keeps nothing
    List<Logged> logged = new CopyOnWriteArrayList<>();
    WorkerOutput.LineLog original = WorkerOutput.lineLog;
    WorkerOutput.lineLog = (worker, line, isErr) -> {
      Map<String, String> mdc = MDC.getCopyOfContextMap();
      logged.add(new Logged(line, mdc == null ? Map.of() : mdc));
    };
    try (Engine engine = Engine.open(EngineConfig.newBuilder().backend("process").workers(1)
        .option("gearbox.process.keep-warm", "0").build())) {
      MDC.put("request", "r-42");
      try {
        assertThat(engine.submit(printing("hello from a task")).get(30, TimeUnit.SECONDS)).isEqualTo("printed");
      } finally {
        MDC.clear();
      }
      assertThat(engine.submit(printing("hello without context")).get(30, TimeUnit.SECONDS)).isEqualTo("printed");
      await().atMost(Duration.ofSeconds(20)).until(() -> logged.stream().anyMatch(l -> l.line().endsWith("hello without context")));
    } finally {
      WorkerOutput.lineLog = original;
    }
    assertThat(logged).filteredOn(l -> l.line().endsWith("hello from a task")).singleElement()
        .satisfies(l -> assertThat(l.mdc()).containsEntry("request", "r-42"));
    assertThat(logged).filteredOn(l -> l.line().endsWith("hello without context")).singleElement()
        .satisfies(l -> assertThat(l.mdc()).isEmpty());
  }

  @Test
  void theTaskTag_isReadFromALine() {
    assertThat(WorkerOutput.taggedTask("[task 17] hello")).isEqualTo(17);
    assertThat(WorkerOutput.taggedTask("[task ] hello")).isEqualTo(-1);
    assertThat(WorkerOutput.taggedTask("[task x] hello")).isEqualTo(-1);
    assertThat(WorkerOutput.taggedTask("plain line")).isEqualTo(-1);
  }
}
