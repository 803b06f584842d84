package dev.gearbox.spi.remote;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gearbox.EngineException;
import dev.gearbox.PoisonTaskException;
import dev.gearbox.WorkerCrashedException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CrashLedgerTest {
  private final AtomicLong now = new AtomicLong();
  private final CrashLedger ledger = new CrashLedger(3, now::get);

  private static WorkerCrashedException crash(long taskId) {
    return new WorkerCrashedException(taskId, "task-" + taskId, "worker-1", "exited with code 1", 1, "", null);
  }

  private EngineException crashOnce(long taskId) {
    return ledger.crashed(new RecordingAttempt(taskId), crash(taskId));
  }

  @Test
  void aTaskThatKillsThresholdWorkersInARow_isPoison() {
    assertThat(crashOnce(7)).isNotInstanceOf(PoisonTaskException.class);
    assertThat(crashOnce(7)).isNotInstanceOf(PoisonTaskException.class);
    EngineException third = crashOnce(7);
    assertThat(third).isInstanceOf(PoisonTaskException.class).hasCauseInstanceOf(WorkerCrashedException.class);
    assertThat(ledger.size()).isZero();
  }

  @Test
  void anAttemptThatEndsOtherwise_endsTheRun() {
    crashOnce(7);
    crashOnce(7);
    ledger.ended(7);
    assertThat(crashOnce(7)).isNotInstanceOf(PoisonTaskException.class);
  }

  @Test
  void tasksThatCrashOnceAndAreNeverTriedAgain_doNotAccumulate() {
    for (long id = 1; id <= 3 * CrashLedger.MAX_ENTRIES; id++) {
      now.addAndGet(1_000);
      crashOnce(id);
      assertThat(ledger.size()).isLessThanOrEqualTo(CrashLedger.MAX_ENTRIES);
    }
  }

  @Test
  void entriesOlderThanTheRetention_areDropped() {
    for (long id = 1; id <= 300; id++) {
      crashOnce(id);
    }
    now.addAndGet(CrashLedger.RETENTION + TimeUnit.SECONDS.toNanos(1));
    for (long id = 1_001; id <= 1_300; id++) {
      crashOnce(id);
    }
    assertThat(ledger.size()).isLessThanOrEqualTo(300);
  }
}
