package dev.gearbox.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gearbox.spi.Work;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The member side alone, without a cluster. */
class MemberRuntimeTest {
  private static final AtomicInteger RUNS = new AtomicInteger();
  private static final String OWNER = "engine-1";

  private static RemoteTask task(long wireId) throws Exception {
    Work counts = ctx -> RUNS.incrementAndGet();
    return new RemoteTask(OWNER, wireId, wireId, "task-" + wireId, 1, ClusterConfig.defaultCodec().encode(counts));
  }

  @Test
  void aTaskWhoseCancelWithoutInterruptArrivedFirst_neverStarts() throws Exception {
    MemberRuntime runtime = new MemberRuntime(ClusterConfig.defaultCodec());
    int before = RUNS.get();
    runtime.cancel(OWNER, 7, false);
    byte[] outcome = runtime.run(task(7), null);
    assertThat(outcome[0]).isEqualTo(MemberRuntime.CANCELLED);
    assertThat(RUNS.get()).isEqualTo(before);
    assertThat(runtime.registered()).as("the tombstone is gone").isZero();
  }

  @Test
  void aTaskWhoseCancelWithInterruptArrivedFirst_neverStarts() throws Exception {
    MemberRuntime runtime = new MemberRuntime(ClusterConfig.defaultCodec());
    int before = RUNS.get();
    runtime.cancel(OWNER, 8, true);
    assertThat(runtime.run(task(8), null)[0]).isEqualTo(MemberRuntime.CANCELLED);
    assertThat(RUNS.get()).isEqualTo(before);
  }

  @Test
  void aTaskNotCancelled_runs() throws Exception {
    MemberRuntime runtime = new MemberRuntime(ClusterConfig.defaultCodec());
    int before = RUNS.get();
    assertThat(runtime.run(task(9), null)[0]).isEqualTo(MemberRuntime.OK);
    assertThat(RUNS.get()).isEqualTo(before + 1);
    assertThat(runtime.registered()).isZero();
  }
}
