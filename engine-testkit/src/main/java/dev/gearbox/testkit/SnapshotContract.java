package dev.gearbox.testkit;

import static dev.gearbox.testkit.ContractTasks.blockUntil;
import static dev.gearbox.testkit.ContractTasks.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.gearbox.ContextTask;
import dev.gearbox.Engine;
import dev.gearbox.EngineSnapshot;
import dev.gearbox.EngineSnapshot.TaskInfo;
import dev.gearbox.EngineSnapshot.TaskState;
import dev.gearbox.TaskFuture;
import dev.gearbox.TaskOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Introspection: {@link Engine#snapshot(int)} lists running tasks (attempt, placement, start,
 * progress) and queued ones in run order up to the limit, counts what it leaves out, matches the
 * engine's counters, and shows the backend's workers or members where it has them.
 */
public interface SnapshotContract extends ContractFixture {

  /** Reports progress 0.25 "quarter", raises {@code started-<k>}, waits for {@code release-<k>}. */
  static ContextTask<Integer> progressThenBlock(String dir, int k) {
    return ctx -> {
      ctx.progress(0.25, "quarter");
      Signals.raise(dir, "started-" + k);
      Signals.awaitInTask(dir, "release-" + k);
      return k;
    };
  }

  @Test
  default void aRunningTask_isListedWithItsAttemptPlacementStartAndProgress_andQueuedOnesInRunOrder() throws Exception {
    Engine engine = open(b -> b.workers(1));
    assumeQueueing(engine);
    TaskFuture<Integer> running = engine.submit(progressThenBlock(dir(), 1), TaskOptions.named("snap-running"));
    await().until(() -> Signals.isRaised(dir(), "started-1"));
    List<TaskFuture<Integer>> queued = new ArrayList<>();
    for (int i = 2; i <= 4; i++) {
      queued.add(engine.submit(blockUntil(dir(), i), TaskOptions.named("snap-queued-" + i)));
    }
    await().until(() -> find(engine.snapshot(), "snap-running").map(t -> t.progress() == 0.25).orElse(false));
    EngineSnapshot s = engine.snapshot();
    TaskInfo r = find(s, "snap-running").orElseThrow();
    assertThat(r.state()).isEqualTo(TaskState.RUNNING);
    assertThat(r.attempt()).isEqualTo(1);
    assertThat(r.startedAt()).isNotNull().isAfterOrEqualTo(r.submittedAt());
    assertThat(r.progressMessage()).isEqualTo("quarter");
    assertThat(r.where()).as("where the task runs").isNotBlank();
    assertThat(s.tasks()).extracting(TaskInfo::name).contains("snap-queued-2", "snap-queued-3", "snap-queued-4");
    List<String> queuedNames = s.tasks().stream().filter(t -> t.state() == TaskState.QUEUED).map(TaskInfo::name).toList();
    if (queuedNames.size() == 3) { // a backend may hold the next one already (prefetch), as RUNNING not yet started
      assertThat(queuedNames).containsExactly("snap-queued-2", "snap-queued-3", "snap-queued-4");
    }
    assertThat(s.counts().submitted()).isEqualTo(4);
    assertThat(s.counts().inFlight()).isEqualTo(4);
    assertThat(s.engine()).isEqualTo(engine.name());
    assertThat(s.backend()).isEqualTo(engine.backendName());

    EngineSnapshot limited = engine.snapshot(1);
    assertThat(limited.tasks()).extracting(TaskInfo::name).contains("snap-running");
    assertThat(limited.tasks().size() + limited.tasksNotListed()).isEqualTo(4);

    Signals.raise(dir(), "release-1");
    for (int i = 2; i <= 4; i++) {
      Signals.raise(dir(), "release-" + i);
    }
    assertThat(get(running)).isEqualTo(1);
    for (TaskFuture<Integer> f : queued) {
      get(f);
    }
    await().until(() -> engine.snapshot().tasks().isEmpty());
    assertThat(engine.snapshot().counts().completed()).isEqualTo(4);
  }

  @Test
  default void theSnapshot_hasTheCounts_andTheBackendsWorkers_whereItHasThem() throws Exception {
    Engine engine = open();
    for (int i = 0; i < 5; i++) {
      get(engine.submit(value(i)));
    }
    await().until(() -> engine.snapshot().counts().completed() == 5);
    EngineSnapshot s = engine.snapshot();
    assertThat(s.counts().submitted()).isEqualTo(5);
    assertThat(s.counts().queued()).isZero();
    assertThat(s.parallelism()).isEqualTo(engine.parallelism());
    if (!engine.capabilities().sharedMemory()) {
      assertThat(s.workers()).as("workers or members of a backend that runs tasks elsewhere").isNotEmpty();
      assertThat(s.workers()).allSatisfy(w -> assertThat(w.id()).isNotBlank());
    }
    assertThatThrownBy(() -> engine.snapshot(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  /** {@code gearbox.jmx=true}: the engine's MXBean shows its counters and snapshot while it is open, and is gone after close. */
  @Test
  default void withJmx_theEnginesMBeanShowsItsCountersAndSnapshot_untilClose() throws Exception {
    javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
    Engine engine = open(b -> b.jmx(true));
    javax.management.ObjectName registered = new javax.management.ObjectName("dev.gearbox:type=Engine,name="
        + javax.management.ObjectName.quote(engine.name()));
    assertThat(get(engine.submit(value(7)))).isEqualTo(7);
    assertThat(server.isRegistered(registered)).as("the engine's MXBean %s", registered).isTrue();
    await().until(() -> (Long) server.getAttribute(registered, "Completed") == 1L);
    assertThat(server.getAttribute(registered, "Submitted")).isEqualTo(1L);
    assertThat((String) server.getAttribute(registered, "SnapshotJson")).contains("\"submitted\":1");
    engine.close();
    assertThat(server.isRegistered(registered)).isFalse();
  }

  private static Optional<TaskInfo> find(EngineSnapshot s, String name) {
    return s.tasks().stream().filter(t -> t.name().equals(name)).findFirst();
  }
}
