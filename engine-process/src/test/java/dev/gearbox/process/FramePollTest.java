package dev.gearbox.process;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FramePollTest {
  /** A clock that moves 1 µs each time it is read; tests move it further by hand. */
  private final long[] now = {0};
  private final FramePoll poll = new FramePoll(() -> now[0] += 1_000);

  /** Polls before a read, after frames that came {@code gapNanos} after the reader went to wait; returns the polls. */
  private int pollsAfter(long gapNanos, boolean permitted, int bytesWaiting) throws Exception {
    poll.run(true);
    poll.beforeRead(new OutcomeSpinTest.Pipe(0)); // no gap known yet: no poll
    now[0] += gapNanos;
    poll.afterRead();
    poll.run(permitted);
    OutcomeSpinTest.Pipe pipe = new OutcomeSpinTest.Pipe(bytesWaiting);
    poll.beforeRead(pipe);
    return pipe.polls;
  }

  @Test
  void beforeAnyGapIsKnown_theReaderBlocksAtOnce() throws Exception {
    OutcomeSpinTest.Pipe pipe = new OutcomeSpinTest.Pipe(0);
    poll.run(true);
    poll.beforeRead(pipe);
    assertThat(pipe.polls).isZero();
  }

  @Test
  void afterAShortGap_andAllowed_theReaderPollsUntilTwiceTheGapHasPassed_once() throws Exception {
    // gap 11 µs (10 by hand, 1 reading the clock): polls until 22 µs after it went to wait, one per µs
    assertThat(pollsAfter(10_000, true, 0)).isBetween(20, 23);
    OutcomeSpinTest.Pipe pipe = new OutcomeSpinTest.Pipe(0);
    poll.afterRead();
    poll.beforeRead(pipe); // no RUN since: the permission was used
    assertThat(pipe.polls).isZero();
  }

  @Test
  void whenTheEngineDidNotAllowIt_theReaderBlocksAtOnce() throws Exception {
    assertThat(pollsAfter(10_000, false, 0)).isZero();
  }

  @Test
  void theLongestPoll_isBounded() throws Exception {
    // gap 81 µs: short, but twice it is above the bound of 50 µs
    assertThat(pollsAfter(80_000, true, 0)).isBetween(49, 51);
  }

  @Test
  void afterALongGap_theReaderBlocksAtOnce_butProbesEverySoManyWaits() throws Exception {
    assertThat(pollsAfter(2 * FramePoll.SHORT_NANOS, true, 0)).isZero();
    poll.afterRead(); // a wait of 1 µs: the gap stays long for the next few
    for (int wait = 2; wait < FramePoll.PROBE_EVERY; wait++) {
      poll.run(true);
      OutcomeSpinTest.Pipe pipe = new OutcomeSpinTest.Pipe(0);
      poll.beforeRead(pipe);
      assertThat(pipe.polls).as("wait %d", wait).isZero();
      now[0] += 2 * FramePoll.SHORT_NANOS;
      poll.afterRead();
    }
    poll.run(true);
    OutcomeSpinTest.Pipe probe = new OutcomeSpinTest.Pipe(0);
    poll.beforeRead(probe);
    assertThat(probe.polls).as("the probe lasts the longest poll, one per µs").isBetween(49, 51);
    poll.afterRead(); // nothing came within it: the gap stays long
    poll.run(true);
    OutcomeSpinTest.Pipe after = new OutcomeSpinTest.Pipe(0);
    poll.beforeRead(after);
    assertThat(after.polls).isZero();
  }

  @Test
  void aFrameThatComesWithinAProbe_makesTheReaderPollAgain() throws Exception {
    assertThat(pollsAfter(2 * FramePoll.SHORT_NANOS, true, 0)).isZero();
    poll.afterRead();
    int polled = 0;
    for (int wait = 2; polled == 0; wait++) {
      assertThat(wait).as("waits until the probe").isLessThanOrEqualTo(FramePoll.PROBE_EVERY);
      poll.run(true);
      OutcomeSpinTest.Pipe pipe = new OutcomeSpinTest.Pipe(1); // the frame is there at once
      poll.beforeRead(pipe);
      polled = pipe.polls;
      if (polled == 0) {
        now[0] += 2 * FramePoll.SHORT_NANOS;
      }
      poll.afterRead();
    }
    poll.run(true);
    OutcomeSpinTest.Pipe next = new OutcomeSpinTest.Pipe(0);
    poll.beforeRead(next);
    assertThat(next.polls).as("a poll again, not only the next probe").isPositive();
  }

  @Test
  void whenBytesWait_theReaderDoesNotSpin() throws Exception {
    assertThat(pollsAfter(10_000, true, 1)).isEqualTo(1);
  }

  @Test
  void afterAnIdleSpell_pollingResumesWithinAFewShortGaps() throws Exception {
    assertThat(pollsAfter(10_000, true, 0)).isPositive();
    poll.afterRead();
    poll.beforeRead(new OutcomeSpinTest.Pipe(1));
    now[0] += 10_000_000; // 10 ms without a frame
    poll.afterRead();
    int gaps = 0;
    int polled;
    do { // short gaps again
      poll.run(true);
      OutcomeSpinTest.Pipe pipe = new OutcomeSpinTest.Pipe(1);
      poll.beforeRead(pipe);
      polled = pipe.polls;
      now[0] += 10_000;
      poll.afterRead();
      gaps++;
    } while (polled == 0 && gaps < 100);
    assertThat(gaps).as("short gaps until the reader polls again").isBetween(2, 5);
    assertThat(poll.polls()).isEqualTo(2);
  }
}
