package dev.gearbox.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pinning the bench's one-thread baseline to a CPU: the real thing where Linux and taskset allow it, the fallback elsewhere. */
class CpuPinningTest {
  private static final Path THREAD_SELF = Path.of("/proc/thread-self");

  private static boolean linuxWithTwoCpus() throws Exception {
    return Files.isSymbolicLink(THREAD_SELF) && CpuPinning.allowedCpus(THREAD_SELF).size() >= 2;
  }

  @Test
  void withoutProcThreadSelf_pinningIsUnavailable_andSaysWhy(@TempDir Path dir) {
    CpuPinning p = CpuPinning.probe(dir.resolve("no-thread-self"), "taskset");
    assertThat(p.available()).isFalse();
    assertThat(p.whyUnavailable()).contains("no-thread-self");
    assertThatThrownBy(() -> p.pin(0)).isInstanceOf(IllegalStateException.class).hasMessageContaining("no-thread-self");
  }

  @Test
  void withoutTaskset_pinningIsUnavailable_andSaysWhy() throws Exception {
    assumeTrue(linuxWithTwoCpus(), "needs Linux's /proc/thread-self and two CPUs");
    List<Integer> before = CpuPinning.allowedCpus(THREAD_SELF);
    CpuPinning p = CpuPinning.probe(THREAD_SELF, "gearbox-no-such-taskset");
    assertThat(p.available()).isFalse();
    assertThat(p.whyUnavailable()).contains("gearbox-no-such-taskset").contains("util-linux");
    assertThat(CpuPinning.allowedCpus(THREAD_SELF)).isEqualTo(before);
  }

  @Test
  void onAVirtualThread_pinningIsUnavailable() throws Exception {
    AtomicReference<CpuPinning> probed = new AtomicReference<>();
    Thread.ofVirtual().start(() -> probed.set(CpuPinning.probe())).join();
    assertThat(probed.get().available()).isFalse();
    assertThat(probed.get().whyUnavailable()).contains("virtual thread");
  }

  @Test
  void pin_putsTheCallingThreadOnOneCpu_andCloseRestoresWhereItMayRun() throws Exception {
    assumeTrue(linuxWithTwoCpus(), "needs Linux's /proc/thread-self and two CPUs");
    CpuPinning p = CpuPinning.probe();
    assumeTrue(p.available(), p.whyUnavailable()); // taskset (util-linux) missing
    List<Integer> before = CpuPinning.allowedCpus(THREAD_SELF);
    assertThat(p.cpus()).isEqualTo(before);
    int last = before.getLast();
    // Another thread, started before the pin (a thread inherits its starter's affinity), looks while it holds.
    CountDownLatch pinnedNow = new CountDownLatch(1);
    AtomicReference<Object> other = new AtomicReference<>();
    Thread t = Thread.ofPlatform().start(() -> {
      try {
        pinnedNow.await();
        other.set(CpuPinning.allowedCpus(THREAD_SELF));
      } catch (Exception e) {
        other.set(e);
      }
    });
    CpuPinning.Pinned pinned = p.pin(last);
    try {
      assertThat(CpuPinning.allowedCpus(THREAD_SELF)).containsExactly(last);
    } finally {
      pinnedNow.countDown();
      t.join();
      pinned.close();
    }
    assertThat(other.get()).as("only the calling thread is pinned").isEqualTo(before);
    assertThat(CpuPinning.allowedCpus(THREAD_SELF)).isEqualTo(before);
    assertThatThrownBy(() -> p.pin(Integer.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(String.valueOf(Integer.MAX_VALUE));
  }

  @Test
  void threadId_isTheTaskOfTheCallingThread() throws Exception {
    assumeTrue(Files.isSymbolicLink(THREAD_SELF), "needs Linux's /proc/thread-self");
    long mine = CpuPinning.threadId(THREAD_SELF);
    AtomicReference<Long> other = new AtomicReference<>();
    Thread t = Thread.ofPlatform().start(() -> {
      try {
        other.set(CpuPinning.threadId(THREAD_SELF));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    t.join();
    assertThat(other.get()).isNotNull().isNotEqualTo(mine);
    assertThat(Files.isDirectory(Path.of("/proc/self/task/" + mine))).isTrue();
  }

  @Test
  void cpuLists_areReadAsTheKernelWritesThem() {
    assertThat(CpuPinning.parseList("0-1")).containsExactly(0, 1);
    assertThat(CpuPinning.parseList("3,0-2,5")).containsExactly(0, 1, 2, 3, 5);
    assertThat(CpuPinning.parseList("7")).containsExactly(7);
    assertThatThrownBy(() -> CpuPinning.parseList("1-2-3")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1-2-3");
  }
}
