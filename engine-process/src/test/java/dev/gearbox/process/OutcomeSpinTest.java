package dev.gearbox.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import org.junit.jupiter.api.Test;

class OutcomeSpinTest {
  /** A clock that moves 1 µs each time it is read; tests move it further by hand. */
  private final long[] now = {0};
  /** Two CPUs, shared with nothing else unless a test says so. */
  private final OutcomeSpin.Cpus cpus = new OutcomeSpin.Cpus(2);
  private final OutcomeSpin spin = new OutcomeSpin(() -> now[0] += 1_000, cpus);

  /** A pipe that holds {@code bytes} waiting, counting how often it was polled. */
  static final class Pipe extends InputStream {
    final int bytes;
    int polls;

    Pipe(int bytes) {
      this.bytes = bytes;
    }

    @Override
    public int available() {
      polls++;
      return bytes;
    }

    @Override
    public int read() {
      throw new AssertionError("the spin must not read");
    }
  }

  /** Polls after a STARTED of attempt 2, attempt 1 having taken {@code gapNanos} from STARTED to outcome; returns the polls. */
  private int pollsAfter(long gapNanos, int bytesWaiting) throws Exception {
    spin.started(1);
    now[0] += gapNanos;
    spin.outcome(1);
    spin.started(2);
    Pipe pipe = new Pipe(bytesWaiting);
    spin.beforeRead(pipe);
    return pipe.polls;
  }

  @Test
  void beforeAnyGapIsKnown_theReaderBlocksAtOnce() throws Exception {
    Pipe pipe = new Pipe(0);
    spin.started(1);
    spin.beforeRead(pipe);
    assertThat(pipe.polls).isZero();
  }

  @Test
  void afterAShortTask_theReaderPollsAfterTheNextStarted_untilTwiceTheGapHasPassed() throws Exception {
    // gap 11 µs (10 by hand, 1 reading the clock): polls until 22 µs after the STARTED, one per µs
    assertThat(pollsAfter(10_000, 0)).isBetween(20, 23);
    Pipe pipe = new Pipe(0);
    spin.beforeRead(pipe); // no STARTED since: no poll
    assertThat(pipe.polls).isZero();
  }

  @Test
  void theLongestPoll_isBounded() throws Exception {
    // gap 81 µs: short, but twice it is above the bound of 50 µs
    assertThat(pollsAfter(80_000, 0)).isBetween(49, 51);
  }

  @Test
  void afterALongerTask_theReaderBlocksAtOnce() throws Exception {
    assertThat(pollsAfter(2 * OutcomeSpin.SHORT_NANOS, 0)).isZero();
  }

  @Test
  void whenBytesWait_theReaderDoesNotSpin() throws Exception {
    assertThat(pollsAfter(10_000, 1)).isEqualTo(1);
  }

  @Test
  void anOutcomeOfAnotherAttempt_doesNotCountAsAGap() throws Exception {
    spin.started(1);
    spin.outcome(2); // a late frame of another attempt
    spin.started(3);
    Pipe pipe = new Pipe(0);
    spin.beforeRead(pipe);
    assertThat(pipe.polls).isZero();
  }

  @Test
  void withEveryCpuTakenByTasksInFlight_theReaderDoesNotPoll() throws Exception {
    OutcomeSpin other = new OutcomeSpin(() -> now[0] += 1_000, cpus);
    other.started(7); // another worker's task runs: with this one's, both CPUs are taken
    assertThat(pollsAfter(10_000, 0)).isZero(); // the same short gap that makes it poll about 20 times alone
    assertThat(cpus.taken()).isEqualTo(2);
    other.outcome(7);
    spin.outcome(2);
    spin.started(3);
    Pipe pipe = new Pipe(0);
    spin.beforeRead(pipe); // one task in flight, one CPU spare: it polls
    assertThat(pipe.polls).isGreaterThan(1);
    assertThat(cpus.taken()).as("the poll gave its CPU back").isEqualTo(1);
  }

  @Test
  void theCpusCounted_followTheTasksInFlight_andAreGivenBackWhenTheReaderStops() {
    spin.started(1);
    spin.outcome(1);
    spin.outcome(2); // an outcome without a STARTED (cancelled unstarted) takes nothing back
    assertThat(cpus.taken()).isZero();
    spin.started(3);
    spin.started(4);
    assertThat(cpus.taken()).isEqualTo(2);
    spin.outcome(9); // nor does an outcome of an attempt not counted (a late STARTED), while counted ones run
    assertThat(cpus.taken()).isEqualTo(2);
    spin.close(); // the worker died with both unreported
    assertThat(cpus.taken()).isZero();
  }

  @Test
  void aWorkerMayPollAfterATask_onlyWhileThatTaskLeavesACpuSpare() {
    assertThat(cpus.spareBesideOneMore()).as("2 CPUs, none taken").isTrue();
    spin.started(1);
    assertThat(cpus.spareBesideOneMore()).as("one task in flight: a second would take the last CPU").isFalse();
    spin.outcome(1);
    assertThat(cpus.spareBesideOneMore()).isTrue();
    assertThat(new OutcomeSpin.Cpus(1).spareBesideOneMore()).as("1 CPU").isFalse();
  }
}
