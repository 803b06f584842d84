package dev.gearbox.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import org.junit.jupiter.api.Test;

class OutcomeSpinTest {
  /** A pipe that stays empty, counting how often it was polled. */
  static final class EmptyPipe extends InputStream {
    int polls;

    @Override
    public int available() {
      polls++;
      return 0;
    }

    @Override
    public int read() {
      throw new AssertionError("the spin must not read");
    }
  }

  @Test
  void beforeAnyGapIsKnown_theReaderBlocksAtOnce() throws Exception {
    OutcomeSpin spin = new OutcomeSpin();
    EmptyPipe pipe = new EmptyPipe();
    spin.started(1);
    spin.beforeRead(pipe);
    assertThat(pipe.polls).isZero();
  }

  @Test
  void afterAShortTask_theReaderPollsAfterTheNextStarted_andStopsWhenTheBudgetIsSpent() throws Exception {
    OutcomeSpin spin = new OutcomeSpin();
    spin.started(1);
    spin.outcome(1); // a gap of microseconds
    EmptyPipe pipe = new EmptyPipe();
    spin.started(2);
    spin.beforeRead(pipe); // returns: the budget is bounded even if nothing ever comes
    assertThat(pipe.polls).isPositive();
    int polls = pipe.polls;
    spin.beforeRead(pipe); // no STARTED since: no poll
    assertThat(pipe.polls).isEqualTo(polls);
  }

  @Test
  void afterALongerTask_theReaderBlocksAtOnce() throws Exception {
    OutcomeSpin spin = new OutcomeSpin();
    spin.started(1);
    long until = System.nanoTime() + 2 * OutcomeSpin.SHORT_NANOS; // the task "runs" longer than a short one
    while (System.nanoTime() - until < 0) {
      Thread.onSpinWait();
    }
    spin.outcome(1);
    EmptyPipe pipe = new EmptyPipe();
    spin.started(2);
    spin.beforeRead(pipe);
    assertThat(pipe.polls).isZero();
  }

  @Test
  void whenBytesWait_theReaderDoesNotSpin() throws Exception {
    OutcomeSpin spin = new OutcomeSpin();
    spin.started(1);
    spin.outcome(1);
    spin.started(2);
    int[] polls = {0};
    spin.beforeRead(new InputStream() {
      @Override
      public int available() {
        polls[0]++;
        return 1;
      }

      @Override
      public int read() {
        return 0;
      }
    });
    assertThat(polls[0]).isEqualTo(1);
  }

  @Test
  void anOutcomeOfAnotherAttempt_doesNotCountAsAGap() throws Exception {
    OutcomeSpin spin = new OutcomeSpin();
    spin.started(1);
    spin.outcome(2); // a late frame of another attempt
    EmptyPipe pipe = new EmptyPipe();
    spin.started(3);
    spin.beforeRead(pipe);
    assertThat(pipe.polls).isZero();
  }
}
