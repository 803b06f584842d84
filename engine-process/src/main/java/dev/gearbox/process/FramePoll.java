package dev.gearbox.process;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongSupplier;

/**
 * The worker's reading thread polling its stdin a moment for the next frame before it blocks, after
 * a task the engine allowed it for ({@link WorkerBound.Run#poll}: the engine saw a CPU to spare
 * beside that task) and while recent frames came within tens of microseconds of the worker going to
 * wait: a caller that submits again as soon as it has a result. A blocked reader costs the engine's
 * next write a wake-up of this thread, and on a virtual machine the wake-up of a CPU gone idle costs
 * more than the short poll that keeps it awake: a lone round trip took about half the time with the
 * poll (see the engine-process README's round-trip row).
 *
 * <p>The poll lasts at most twice the recent gap from going to wait to the next frame, and at most
 * {@link #MAX_POLL_NANOS}; while that gap is above {@link #SHORT_NANOS} (frames come seldom: the
 * reader blocks at once) it runs only as a probe, every {@link #PROBE_EVERY} allowed waits, for the
 * longest poll; a frame that comes within a probe sets the gap to its own wait. One permission
 * allows one poll, by the thread
 * that ran that task (a thread that takes the reading over, or reads while another flushes what it
 * owes, does not poll). The engine's permission counts what its JVM knows: the tasks started and not
 * reported, and its readers polling. Two RUNs sent at the same moment may both allow a poll, and a
 * worker's poll is not counted; each poll ends at the first byte and lasts at most 50 µs.
 *
 * <p>Thread-confined: only the thread that holds the worker's reading uses it (the reading moves
 * between threads under the loop's lock, which orders their uses).
 */
final class FramePoll {
  /** The longest poll before a read. */
  static final long MAX_POLL_NANOS = 50_000;
  /** Recent gaps above this: no poll, but a probe every {@link #PROBE_EVERY} waits. */
  static final long SHORT_NANOS = 100_000;
  /**
   * While the recent gaps are long, every this many allowed waits one polls anyway, as long as the
   * longest poll. A blocked reader's gaps include its own wake-up, which on these machines costs tens
   * of microseconds, and the engine's side is slower too while the worker sleeps: without a probe, a
   * ping-pong that once went to blocking could stay there, its gaps just too long to poll.
   */
  static final int PROBE_EVERY = 16;
  private static final long UNKNOWN = -1;

  private final LongSupplier nanoTime;
  /** Moving average of the gap from going to wait to the next frame, or {@link #UNKNOWN}. */
  private long gap = UNKNOWN;
  /** When the reader went to wait, if it waits now. */
  private long waitingSince;
  private boolean waiting;
  /** Whether the last RUN read allowed a poll, not used yet. */
  private boolean permitted;
  /** Allowed waits without a poll since the last poll. */
  private int unpolled;
  /** Whether the current wait probes; whether the probe saw a frame's first byte, and when. */
  private boolean probing;
  private boolean probeHit;
  private long probeHitAt;
  /** How many polls ran; written by the reading thread only (tests read it). */
  private volatile int polls;

  /** On the system clock. */
  FramePoll() {
    this(System::nanoTime);
  }

  /** With the clock given (tests). */
  FramePoll(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  /** A RUN was read: whether its task allows a poll after it. */
  void run(boolean poll) {
    permitted = poll;
  }

  /** Before a read that may block (no whole frame is here): polls {@code in} a moment if allowed and frames came soon of late. */
  void beforeRead(InputStream in) throws IOException {
    long now = nanoTime.getAsLong();
    waitingSince = now;
    waiting = true;
    boolean poll = permitted;
    permitted = false;
    if (!poll || gap == UNKNOWN) {
      return;
    }
    long window;
    if (gap <= SHORT_NANOS) {
      window = Math.min(2 * gap, MAX_POLL_NANOS);
    } else if (++unpolled >= PROBE_EVERY) {
      window = MAX_POLL_NANOS;
      probing = true;
    } else {
      return;
    }
    unpolled = 0;
    polls++; // one writer
    long end = now + window;
    boolean arrived;
    while (!(arrived = in.available() > 0) && nanoTime.getAsLong() - end < 0) {
      Thread.onSpinWait();
    }
    if (probing && arrived) {
      probeHit = true;
      probeHitAt = nanoTime.getAsLong(); // the first byte's time: reading a large frame takes longer
    }
  }

  /** How many polls ran (tests check the path they meant to take). */
  int polls() {
    return polls;
  }

  /** A frame was read: after {@link #beforeRead}, the wait is a sample of the gap. */
  void afterRead() {
    if (!waiting) {
      return;
    }
    waiting = false;
    long at = nanoTime.getAsLong();
    if (probing) {
      probing = false;
      if (probeHit) { // the frame came within the probe: that is the gap while polling
        probeHit = false;
        gap = probeHitAt - waitingSince;
        return;
      }
    }
    // A long wait counts as a few long gaps, not as many: polling resumes a few round trips after an idle spell.
    long sample = Math.min(at - waitingSince, 4 * SHORT_NANOS);
    gap = gap == UNKNOWN ? sample : (3 * gap + sample) / 4;
  }
}
