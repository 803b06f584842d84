package dev.gearbox.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JobRunTest {
  private static final long MS = 1_000_000;

  @Test
  void of_splitsEachWorkersTimeIntoBusyIdleHeadAndTail() {
    // worker 10: tasks at [1, 3) and [4, 6) ms; worker 20: [2, 5) ms; job from 0 to 8 ms
    List<long[]> records = List.of(new long[] {4 * MS, 6 * MS, 10, 101}, new long[] {1 * MS, 3 * MS, 10, 101},
        new long[] {2 * MS, 5 * MS, 20, 201});
    JobRun r = JobRun.of(records, 0, 8 * MS, Map.of(), Map.of());
    assertThat(r.millis()).isEqualTo(8.0);
    assertThat(r.busyUs()).isCloseTo(7_000 / 3.0, within(1e-9));
    assertThat(r.idleUs()).isCloseTo(1_000 / 3.0, within(1e-9));
    assertThat(r.headMs()).isCloseTo(1.5, within(1e-9));
    assertThat(r.tailMs()).isCloseTo(2.5, within(1e-9));
  }

  @Test
  void of_takesThreadsAsWorkersWhenEveryTaskRanInOneProcess() {
    List<long[]> records = List.of(new long[] {0, 2 * MS, 7, 1}, new long[] {0, 2 * MS, 7, 2});
    assertThat(JobRun.of(records, 0, 2 * MS, Map.of(), Map.of()).idleUs()).isZero();
  }

  @Test
  void toLine_parseReadsBackEveryField() {
    JobRun r = new JobRun(12.5, 400, 5001.25, 30.5, 2.25, 0.5, Map.of("compiler", 100.0, "tasks", 4900.0), Map.of("gc", 3.0));
    assertThat(JobRun.parse(r.toLine())).isEqualTo(r);
    assertThatThrownBy(() -> JobRun.parse("millis=1 oops")).hasMessageContaining("'oops'");
  }

  @Test
  void threadCpu_readsUserAndSystemTicksPastANameWithSpacesAndGroupsThreads() {
    String stat = "123 (C2 CompilerThre) S 1 1 1 0 -1 4194368 0 0 0 0 17 5 0 0 20 0 1 0 100 0 0";
    assertThat(ThreadCpu.cpuTicks(stat)).isEqualTo(22);
    ThreadCpu before = new ThreadCpu(Map.of(1L, 10L, 2L, 5L), Map.of(1L, "C2 CompilerThre", 2L, "gearbox-task-1"));
    ThreadCpu after = new ThreadCpu(Map.of(1L, 30L, 2L, 45L, 3L, 1L), Map.of(1L, "C2 CompilerThre", 2L, "gearbox-task-1", 3L, "GC Thread#0"));
    assertThat(after.since(before, Set.of(2L), 100)).containsExactlyInAnyOrderEntriesOf(
        Map.of("compiler", 2_000.0, "tasks", 4_000.0, "gc", 100.0));
    assertThat(ThreadCpu.group("gearbox-x-worke", false)).isEqualTo("gearbox");
    assertThat(ThreadCpu.group("java", false)).isEqualTo("main");
  }
}
