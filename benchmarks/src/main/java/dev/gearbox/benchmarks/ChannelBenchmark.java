package dev.gearbox.benchmarks;

import dev.gearbox.Channel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * An in-process {@link Channel} hand-off against the JDK queues it resembles, in the same run,
 * between the benchmark thread and a partner thread started for the trial:
 *
 * <ul>
 *   <li>{@code pingPong}: send one element on a rendezvous channel, the partner sends it back on
 *       another (µs per round trip), against two {@link SynchronousQueue}s ({@code rawPingPong}).
 *   <li>{@code stream}: send {@value #BATCH} elements through a bounded channel of capacity
 *       {@value #CAPACITY} to the partner, which acknowledges each batch on a rendezvous channel
 *       (µs per element), against an {@link ArrayBlockingQueue} of the same capacity and a
 *       {@link SynchronousQueue} for the acknowledgement ({@code rawStream}).
 * </ul>
 *
 * <p>{@link RunBenchmarks} pairs each benchmark with its {@code raw*} twin and prints the ratio.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class ChannelBenchmark {
  static final int BATCH = 1_000;
  static final int CAPACITY = 64;
  private static final Integer ELEMENT = 1;

  /** One side of a hand-off: the channel's calls or the queue's. */
  private interface Pipe {
    void put(Integer e) throws InterruptedException;

    Integer take() throws InterruptedException;
  }

  private static Pipe of(Channel<Integer> ch) {
    return new Pipe() {
      @Override
      public void put(Integer e) throws InterruptedException {
        ch.send(e);
      }

      @Override
      public Integer take() throws InterruptedException {
        return ch.receive();
      }
    };
  }

  private static Pipe of(BlockingQueue<Integer> q) {
    return new Pipe() {
      @Override
      public void put(Integer e) throws InterruptedException {
        q.put(e);
      }

      @Override
      public Integer take() throws InterruptedException {
        return q.take();
      }
    };
  }

  private Pipe ping;
  private Pipe pong;
  private Pipe data;
  private Pipe ack;
  private Pipe rawPing;
  private Pipe rawPong;
  private Pipe rawData;
  private Pipe rawAck;
  private final List<Thread> partners = new ArrayList<>();

  @Setup(Level.Trial)
  public void setUp() {
    ping = of(Channel.<Integer>rendezvous("ping"));
    pong = of(Channel.<Integer>rendezvous("pong"));
    data = of(Channel.<Integer>bounded("data", CAPACITY));
    ack = of(Channel.<Integer>rendezvous("ack"));
    rawPing = of(new SynchronousQueue<>());
    rawPong = of(new SynchronousQueue<>());
    rawData = of(new ArrayBlockingQueue<>(CAPACITY));
    rawAck = of(new SynchronousQueue<>());
    partner("echo", () -> {
      while (true) {
        pong.put(ping.take());
      }
    });
    partner("raw-echo", () -> {
      while (true) {
        rawPong.put(rawPing.take());
      }
    });
    partner("sink", () -> drain(data, ack));
    partner("raw-sink", () -> drain(rawData, rawAck));
  }

  /** Takes {@value #BATCH} elements, acknowledges, again, until interrupted. */
  private static void drain(Pipe in, Pipe done) throws InterruptedException {
    while (true) {
      for (int i = 0; i < BATCH; i++) {
        in.take();
      }
      done.put(ELEMENT);
    }
  }

  private interface Loop {
    void run() throws InterruptedException;
  }

  private void partner(String name, Loop loop) {
    Thread t = new Thread(() -> {
      try {
        loop.run();
      } catch (InterruptedException e) {
        // the trial is over
      }
    }, "channel-benchmark-" + name);
    t.setDaemon(true);
    t.start();
    partners.add(t);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    for (Thread t : partners) {
      t.interrupt();
      t.join(TimeUnit.SECONDS.toMillis(10));
    }
  }

  @Benchmark
  public Integer pingPong() throws InterruptedException {
    ping.put(ELEMENT);
    return pong.take();
  }

  @Benchmark
  public Integer rawPingPong() throws InterruptedException {
    rawPing.put(ELEMENT);
    return rawPong.take();
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public Integer stream() throws InterruptedException {
    return send(data, ack);
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public Integer rawStream() throws InterruptedException {
    return send(rawData, rawAck);
  }

  private static Integer send(Pipe out, Pipe done) throws InterruptedException {
    for (int i = 0; i < BATCH; i++) {
      out.put(ELEMENT);
    }
    return done.take();
  }
}
