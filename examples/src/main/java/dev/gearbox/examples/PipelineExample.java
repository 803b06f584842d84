package dev.gearbox.examples;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.ProgressBar;
import dev.gearbox.TaskFuture;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A producer, two stages and a consumer joined by bounded hand-offs: the CPU stage (count primes
 * in a range) runs on the configured backend, the I/O stage (store the count in a slow store)
 * on another level, async by default. At most {@code --window} items are anywhere in the
 * pipeline at once, so memory stays bounded however many items flow through.
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
    description = "Producer -> CPU stage -> I/O stage -> consumer with bounded hand-offs; the stages on different levels.")
final class PipelineExample extends Example {
  @Option(names = "--items", description = "items through the pipeline (default: ${DEFAULT-VALUE})")
  int items = 400;

  @Option(names = "--window", description = "items in the pipeline at once, at most (default: ${DEFAULT-VALUE})")
  int window = 32;

  @Option(names = "--io-backend", description = "the level of the I/O stage (default: ${DEFAULT-VALUE})")
  String ioBackend = "async";

  @Option(names = "--store-latency", description = "how long the slow store takes per item (default: ${DEFAULT-VALUE})")
  Duration storeLatency = Duration.ofMillis(20);

  private static final long RANGE = 20_000;

  private record Item(int index, TaskFuture<Long> future) {
    static final Item END = new Item(-1, null);
  }

  @Override
  String name() {
    return "pipeline";
  }

  @Override
  String shows() {
    return "stages on different levels, joined by bounded hand-offs";
  }

  @Override
  String lesson() {
    return "Bounded hand-offs keep at most --window items anywhere in the pipeline, whatever the level of the CPU stage; the I/O stage waits on its own level.";
  }

  @Override
  void shrink() {
    items = 80;
  }

  /** The I/O stage's work: a write to a store that takes {@code latency} to answer. */
  static long store(long value, long latencyMillis) throws InterruptedException {
    Thread.sleep(latencyMillis);
    return value;
  }

  @Override
  Summary run(Engine cpu, PrintWriter out) throws Exception {
    if (items < 1 || window < 1) {
      throw badFlag("--items and --window must be at least 1");
    }
    if (!Engine.backends().contains(ioBackend)) {
      throw badFlag("--io-backend " + ioBackend + ": no such backend; the backends on"
          + " the classpath are " + String.join(", ", Engine.backends()));
    }
    long latency = storeLatency.toMillis();
    // The same steps one at a time in this thread: the whole CPU stage, and the store on a few
    // items (it only waits). The baseline of the same run.
    long t0 = System.nanoTime();
    long expected = 0;
    for (int i = 0; i < items; i++) {
      expected += Primes.countChunk(range(i));
    }
    double cpuPerItem = seconds(t0) / items;
    int sample = Math.min(10, items);
    long ts = System.nanoTime();
    for (int i = 0; i < sample; i++) {
      store(i, latency);
    }
    double perItem = cpuPerItem + seconds(ts) / sample;

    try (Engine ioEngine = Engine.open(EngineConfig.load(Map.of(EngineConfig.BACKEND, ioBackend,
        EngineConfig.NAME, "pipeline-io", EngineConfig.WORKERS, String.valueOf(window))))) {
      BlockingQueue<Item> computing = new ArrayBlockingQueue<>(window);
      BlockingQueue<Item> storing = new ArrayBlockingQueue<>(window);
      Semaphore slots = new Semaphore(window);
      AtomicInteger inFlight = new AtomicInteger();
      AtomicInteger maxInFlight = new AtomicInteger();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      // Every wait below is timed and checks this flag, so a failure anywhere stops every stage
      // (interrupts are not enough: task code running inline may swallow them).
      AtomicBoolean stop = new AtomicBoolean();
      ProgressBar bar = Bars.of("pipeline");
      long t1 = System.nanoTime();

      Thread producer = Thread.ofVirtual().name("pipeline-producer").start(() -> {
        try {
          for (int i = 0; i < items && !stop.get(); i++) {
            while (!slots.tryAcquire(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
              if (stop.get()) {
                return;
              }
            }
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            long[] r = range(i);
            TaskFuture<Long> f = cpu.submit(() -> Primes.countChunk(r));
            if (!offer(computing, new Item(i, f), stop)) {
              f.cancel(true);
            }
          }
        } catch (Throwable e) {
          fail(failure, stop, e);
        } finally {
          offerQuietly(computing, Item.END, stop);
        }
      });
      Thread router = Thread.ofVirtual().name("pipeline-router").start(() -> {
        try {
          for (Item it = poll(computing, stop); it != null && it != Item.END; it = poll(computing, stop)) {
            long primes = it.future().get();
            TaskFuture<Long> f = ioEngine.submit(() -> store(primes, latency));
            if (!offer(storing, new Item(it.index(), f), stop)) {
              f.cancel(true);
            }
          }
        } catch (ExecutionException e) {
          fail(failure, stop, e.getCause());
        } catch (Throwable e) {
          fail(failure, stop, e);
        } finally {
          offerQuietly(storing, Item.END, stop);
        }
      });
      long total = 0;
      int done = 0;
      try {
        for (Item it = poll(storing, stop); it != null && it != Item.END; it = poll(storing, stop)) {
          total += it.future().get();
          inFlight.decrementAndGet();
          slots.release();
          bar.update(++done, items);
        }
      } catch (ExecutionException e) {
        fail(failure, stop, e.getCause());
      } finally {
        stop.set(failure.get() != null || stop.get());
        if (failure.get() != null) {
          for (BlockingQueue<Item> q : List.of(computing, storing)) {
            q.forEach(it -> {
              if (it.future() != null) {
                it.future().cancel(true);
              }
            });
          }
        }
        producer.join(Duration.ofSeconds(30));
        router.join(Duration.ofSeconds(30));
      }
      bar.finish();
      if (failure.get() != null) {
        throw new IllegalStateException("the pipeline failed: " + failure.get(), failure.get());
      }
      double elapsed = seconds(t1);
      if (total != expected || done != items) {
        throw new IllegalStateException("the pipeline delivered " + done + " items totalling " + total + ", expected "
            + items + " totalling " + expected);
      }
      double speedup = perItem * items / elapsed;
      return new Summary(String.format(java.util.Locale.ROOT, "%d items: count primes (%s) -> store, %d ms (%s)",
          items, cpu.backendName(), latency, ioBackend))
          .row("items delivered", "%,d (total %,d primes, checked)", done, total)
          .row("time", "%.2f s (%,.0f items/s)", elapsed, items / elapsed)
          .row("one at a time (measured)", "%.1f ms per item", perItem * 1000)
          .row("speedup", "%.1fx", speedup)
          .row("items in the pipeline at once", "at most %d (window %d)", maxInFlight.get(), window)
          .headline("%.1fx, <= %d in flight", speedup, maxInFlight.get())
          .note("The CPU stage ran on " + cpu.backendName() + " and the I/O stage on " + ioBackend
              + "; each hand-off is a bounded queue, so a slow stage")
          .note("holds the producer back instead of letting items pile up in memory.");
    }
  }

  private static final long POLL_MILLIS = 50;

  private static void fail(AtomicReference<Throwable> failure, AtomicBoolean stop, Throwable t) {
    failure.compareAndSet(null, t);
    stop.set(true);
  }

  /** Puts {@code item} unless the pipeline stops first; false if it stopped. */
  private static boolean offer(BlockingQueue<Item> q, Item item, AtomicBoolean stop) throws InterruptedException {
    while (!stop.get()) {
      if (q.offer(item, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
        return true;
      }
    }
    return false;
  }

  private static void offerQuietly(BlockingQueue<Item> q, Item item, AtomicBoolean stop) {
    try {
      offer(q, item, stop);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The next item, or null once the pipeline stops. */
  private static Item poll(BlockingQueue<Item> q, AtomicBoolean stop) throws InterruptedException {
    while (!stop.get()) {
      Item it = q.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
      if (it != null) {
        return it;
      }
    }
    return null;
  }

  private static long[] range(int i) {
    return new long[] {i * RANGE, (i + 1) * RANGE};
  }
}
