package dev.gearbox.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gearbox.spi.Work;
import dev.gearbox.spi.remote.SerialCodec;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The worker's loop with concurrency 1, driven frame by frame: the engine's side of both pipes is
 * played by the test, so that frames arrive on stdin exactly together (a pipe that holds bytes
 * written in one go). The forked worker JVMs of the other tests run the same loop; there the
 * moment two frames arrive together cannot be chosen.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WorkerLoopTest {
  /** The wires of the tasks that ran (the loop runs in this JVM). */
  static final Set<Long> RAN = ConcurrentHashMap.newKeySet();

  /** Idle ticks after which the standby would go back to the pool: never, within a test. */
  private static final int STANDING_BY = Integer.MAX_VALUE;
  /**
   * The standby's tick: long enough for a task of these tests to end within it even on a loaded
   * machine (so that its thread keeps the reading), short enough for the awaits to see the standby
   * take a reading held two ticks.
   */
  private static final long TICK_NANOS = TimeUnit.SECONDS.toNanos(1);

  private MemoryPipe toWorker;
  /** Small, so that an outcome of a few kilobytes fills it. */
  private MemoryPipe toEngine;
  private final SerialCodec codec = new SerialCodec(1 << 20, "*", ProcessBackendProvider.MAX_PAYLOAD);
  private DataInputStream fromWorker;
  private WorkerLoop loop;

  @BeforeEach
  void start() throws Exception {
    RAN.clear();
    start(TICK_NANOS, TICK_NANOS);
  }

  /** A loop on new pipes whose standby looks first after {@code tickNanos}, at most {@code maxTickNanos} apart. */
  private void start(long tickNanos, long maxTickNanos) throws Exception {
    toWorker = new MemoryPipe(Integer.MAX_VALUE);
    toEngine = new MemoryPipe(1024);
    fromWorker = new DataInputStream(toEngine.in);
    loop = new WorkerLoop(codec, new DataOutputStream(new BufferedOutputStream(toEngine.out, 1 << 16)),
        new DataInputStream(new BufferedInputStream(toWorker.in, 1 << 16)), 1, tickNanos, maxTickNanos, STANDING_BY);
    loop.start();
    assertThat(next()).isInstanceOf(EngineBound.Hello.class);
  }

  @AfterEach
  void stop() throws Exception {
    Thread discard = new Thread(() -> { // whatever the worker still writes, so that no write of it waits for room
      try {
        toEngine.in.transferTo(OutputStream.nullOutputStream());
      } catch (IOException e) {
        // interrupted: done
      }
    });
    discard.setDaemon(true);
    discard.start();
    send(WorkerBound.Shutdown.INSTANCE);
    loop.served.get(30, TimeUnit.SECONDS);
    loop.drain();
    discard.interrupt();
  }

  @Test
  void aRunWithItsCancelAlreadyBehindIt_isTakenOutBeforeItStarts() throws Exception {
    for (long w = 1; w <= 30; w += 3) { // again after tasks the reading thread ran keeping the reading
      long wire = w;
      send(run(wire), new WorkerBound.Cancel(wire, true));
      assertThat(next()).as("the first answer about task %d", wire).isInstanceOf(EngineBound.Fail.class)
          .extracting(f -> ((EngineBound.Fail) f).wire()).isEqualTo(wire);
      // A task, the one held behind it, and the cancel of the held one: the held one never starts.
      send(run(wire + 1), run(wire + 2), new WorkerBound.Cancel(wire + 2, true));
      List<EngineBound> answers = List.of(next(), next(), next()); // the cancel's answer may come before, between or after
      assertThat(answers).contains(new EngineBound.Started(wire + 1)).doesNotContain(new EngineBound.Started(wire + 2))
          .anyMatch(f -> f instanceof EngineBound.Ok ok && ok.wire() == wire + 1)
          .anyMatch(f -> f instanceof EngineBound.Fail fail && fail.wire() == wire + 2);
    }
    assertThat(RAN).as("only the tasks not cancelled ran").allMatch(w -> w % 3 == 2).hasSize(10);
  }

  @Test
  void aStreamOfShortTasks_makesTheStandbyLookLessOften_andALongTaskIsStillTaken() throws Exception {
    stop();
    long tick = TimeUnit.MILLISECONDS.toNanos(2);
    start(tick, 32 * tick);
    send(run(1)); // its thread hands the reading on and stands by after it
    assertThat(next()).isEqualTo(new EngineBound.Started(1));
    assertThat(next()).isInstanceOf(EngineBound.Ok.class);
    await().atMost(Duration.ofSeconds(10)).until(loop::standingBy);
    long looks = loop.looks();
    long began = System.nanoTime();
    long wire = 2;
    do { // short tasks one after another, each run keeping the reading
      send(run(wire));
      assertThat(next()).isEqualTo(new EngineBound.Started(wire));
      assertThat(next()).isInstanceOf(EngineBound.Ok.class);
      wire++;
    } while (System.nanoTime() - began < 20 * 32 * tick);
    double ticks = (System.nanoTime() - began) / (double) tick;
    // Every tick, the standby would look 640 times or more; doubling up to 32 ticks, about 25 times.
    assertThat(loop.looks() - looks).as("looks in %.0f ticks of short tasks", ticks).isLessThan((long) (ticks / 8));
    Work sleeps = context -> {
      Thread.sleep(Long.MAX_VALUE);
      return null;
    };
    send(WorkerBound.Run.of(wire, wire, 1, "sleeps", codec.encode(sleeps)));
    assertThat(next()).isEqualTo(new EngineBound.Started(wire));
    send(new WorkerBound.Cancel(wire, true)); // read only once the standby took the reading from the sleeping task
    assertThat(next()).isInstanceOf(EngineBound.Fail.class).extracting(f -> ((EngineBound.Fail) f).wire()).isEqualTo(wire);
  }

  @Test
  void theStandbysInterval_doublesInAStream_staysAtTheFirstSightOfATask_andResetsAfterAPause() {
    long tick = 1;
    long max = 8;
    assertThat(WorkerLoop.nextInterval(4, tick, max, false, false, true)).as("no task begun since the last look").isEqualTo(1);
    assertThat(WorkerLoop.nextInterval(1, tick, max, true, true, false)).as("a task runs, none at the last look").isEqualTo(1);
    assertThat(WorkerLoop.nextInterval(4, tick, max, true, true, false)).as("the same, in a stream").isEqualTo(4);
    assertThat(WorkerLoop.nextInterval(1, tick, max, true, false, false)).as("tasks came and went").isEqualTo(2);
    assertThat(WorkerLoop.nextInterval(2, tick, max, true, true, true)).as("another task runs than at the last look").isEqualTo(4);
    assertThat(WorkerLoop.nextInterval(8, tick, max, true, false, true)).as("at most the longest").isEqualTo(8);
  }

  @Test
  void aRunThatAllowsAPoll_makesTheReaderPollForTheNextFrame_andOneThatDoesNot_never() throws Exception {
    send(run(1)); // its thread hands the reading on and stands by after it
    assertThat(next()).isEqualTo(new EngineBound.Started(1));
    assertThat(next()).isInstanceOf(EngineBound.Ok.class);
    await().atMost(Duration.ofSeconds(10)).until(loop::standingBy);
    for (long wire = 2; wire < 202; wire++) {
      send(run(wire));
      assertThat(next()).isEqualTo(new EngineBound.Started(wire));
      assertThat(next()).isInstanceOf(EngineBound.Ok.class);
    }
    assertThat(loop.framePolls()).as("polls after RUNs that did not allow one").isZero();
    long wire = 202;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (loop.framePolls() == 0 && System.nanoTime() < deadline) { // the gaps must be short too: on a loaded machine, try again
      send(run(wire).withPoll(true));
      assertThat(next()).isEqualTo(new EngineBound.Started(wire));
      assertThat(next()).isInstanceOf(EngineBound.Ok.class);
      wire++;
    }
    assertThat(loop.framePolls()).as("polls after RUNs that allowed one").isPositive();
  }

  @Test
  void aRunWithARevokeAlreadyBehindIt_isGivenBackUnstarted() throws Exception {
    send(run(1));
    assertThat(next()).isEqualTo(new EngineBound.Started(1));
    assertThat(next()).isInstanceOf(EngineBound.Ok.class);
    send(run(2), WorkerBound.Revoke.INSTANCE);
    assertThat(next()).isEqualTo(new EngineBound.Revoked(2));
    send(run(3));
    assertThat(next()).isEqualTo(new EngineBound.Started(3));
    assertThat(next()).isInstanceOf(EngineBound.Ok.class);
    assertThat(RAN).containsExactlyInAnyOrder(1L, 3L);
  }

  @Test
  void aTaskCancelledWhileAFlushBlocks_neverStarts() throws Exception {
    blockAFlushUnderItsHold_thenRun3();
    // Task 3 must not start behind the blocked flush (its STARTED would wait for it, and nobody would read this):
    send(new WorkerBound.Cancel(3, true));
    await("the worker reads on while a flush blocks and a task waits").atMost(Duration.ofSeconds(10))
        .until(() -> !loop.hasTask(3));
    assertThat(next()).isEqualTo(new EngineBound.Started(2));
    assertThat(next()).isInstanceOf(EngineBound.Ok.class);
    assertThat(next()).isInstanceOf(EngineBound.Fail.class).extracting(f -> ((EngineBound.Fail) f).wire()).isEqualTo(3L);
    assertThat(RAN).as("task 3 never ran").isEmpty();
    assertThat(loop.flushesOutlasted()).as("the flush of task 2's OK outlasted its hold (the path under test)").isEqualTo(1);
    send(run(4)); // and the loop goes on
    assertThat(next()).isEqualTo(new EngineBound.Started(4));
    assertThat(next()).isInstanceOf(EngineBound.Ok.class);
  }

  @Test
  void aTaskReadWhileAFlushBlocks_runsOnceTheFlushIsDone() throws Exception {
    blockAFlushUnderItsHold_thenRun3();
    await("task 3 read and released, not started").atMost(Duration.ofSeconds(10)).until(() -> loop.releasedWaiting() == 1);
    assertThat(next()).isEqualTo(new EngineBound.Started(2));
    assertThat(next()).isInstanceOf(EngineBound.Ok.class);
    assertThat(next()).isEqualTo(new EngineBound.Started(3));
    assertThat(next()).isInstanceOf(EngineBound.Ok.class);
    assertThat(RAN).containsExactly(3L);
    assertThat(loop.flushesOutlasted()).as("the flush of task 2's OK outlasted its hold (the path under test)").isEqualTo(1);
  }

  /**
   * Task 2 runs keeping the reading; its OK, larger than the pipe to the engine, blocks its flush
   * (the engine reads nothing for now) until the standby takes the reading, which then reads task 3.
   */
  private void blockAFlushUnderItsHold_thenRun3() throws Exception {
    Work big = context -> new byte[8 * 1024]; // an OK larger than the pipe to the engine holds
    send(WorkerBound.Run.of(1, 1, 1, "big", codec.encode(big))); // its thread hands the reading on and stands by after it
    assertThat(next()).isEqualTo(new EngineBound.Started(1));
    assertThat(next()).isInstanceOf(EngineBound.Ok.class);
    await().atMost(Duration.ofSeconds(10)).until(loop::standingBy);
    send(WorkerBound.Run.of(2, 2, 1, "big", codec.encode(big))); // runs keeping the reading, while the first thread stands by
    await().atMost(Duration.ofSeconds(10)).until(() -> toEngine.in.available() == toEngine.capacity);
    send(run(3));
    await("the worker reads its stdin while a flush blocks").atMost(Duration.ofSeconds(10))
        .until(() -> toWorker.in.available() == 0);
  }

  private WorkerBound.Run run(long wire) throws IOException {
    Work work = context -> RAN.add(wire);
    return WorkerBound.Run.of(wire, wire, 1, "task-" + wire, codec.encode(work));
  }

  /** Writes the frames to the worker's stdin in one go: they arrive together. */
  private void send(WorkerBound... frames) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    for (WorkerBound f : frames) {
      f.write(out);
    }
    out.flush();
    toWorker.out.write(bytes.toByteArray());
  }

  private EngineBound next() throws IOException {
    Protocol.Raw raw = Protocol.read(fromWorker, Protocol.maxFrame(codec.maxBytes()));
    assertThat(raw).as("a frame from the worker").isNotNull();
    return EngineBound.decode(raw);
  }

  /**
   * A pipe in memory: what one write puts in is available to the reader at once, all of it, up to
   * {@code capacity} bytes held; a write waits for room beyond that.
   */
  static final class MemoryPipe {
    final int capacity;
    private final ByteArrayOutputStream held = new ByteArrayOutputStream();
    private byte[] bytes = new byte[0];
    private int pos;

    MemoryPipe(int capacity) {
      this.capacity = capacity;
    }

    final OutputStream out = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        synchronized (MemoryPipe.this) {
          while (len > 0) {
            while (in.available() >= capacity) {
              try {
                MemoryPipe.this.wait();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException();
              }
            }
            int n = Math.min(len, capacity - in.available());
            held.write(b, off, n);
            off += n;
            len -= n;
            MemoryPipe.this.notifyAll();
          }
        }
      }
    };

    final InputStream in = new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
          return 0;
        }
        synchronized (MemoryPipe.this) {
          while (available() == 0) {
            try {
              MemoryPipe.this.wait();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new InterruptedIOException();
            }
          }
          if (pos == bytes.length) {
            bytes = held.toByteArray();
            held.reset();
            pos = 0;
          }
          int n = Math.min(len, bytes.length - pos);
          System.arraycopy(bytes, pos, b, off, n);
          pos += n;
          MemoryPipe.this.notifyAll(); // room for a writer
          return n;
        }
      }

      @Override
      public int available() {
        synchronized (MemoryPipe.this) {
          return bytes.length - pos + held.size();
        }
      }
    };
  }
}
