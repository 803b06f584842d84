package dev.gearbox.examples;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.TaskFuture;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
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

  @Option(names = "--io-backend", description = "the level of the I/O stage (default: async)")
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
    String io = Engine.backends().contains(ioBackend) ? ioBackend : "thread";
    long latency = storeLatency.toMillis();
    // The same steps one at a time in this thread, on a few items: the baseline of the same run.
    int sample = Math.min(10, items);
    long t0 = System.nanoTime();
    long expected = 0;
    for (int i = 0; i < sample; i++) {
      expected += store(Primes.countChunk(range(i)), latency);
    }
    double perItem = seconds(t0) / sample;
    for (int i = sample; i < items; i++) {
      expected += Primes.countChunk(range(i));
    }

    try (Engine ioEngine = Engine.open(EngineConfig.load(Map.of(EngineConfig.BACKEND, io,
        EngineConfig.NAME, "pipeline-io", EngineConfig.WORKERS, String.valueOf(window))))) {
      BlockingQueue<Item> computing = new ArrayBlockingQueue<>(window);
      BlockingQueue<Item> storing = new ArrayBlockingQueue<>(window);
      Semaphore slots = new Semaphore(window);
      AtomicInteger inFlight = new AtomicInteger();
      AtomicInteger maxInFlight = new AtomicInteger();
      AtomicReference<Throwable> failure = new AtomicReference<>();
      ProgressBar bar = new ProgressBar("pipeline", items);
      long t1 = System.nanoTime();

      Thread producer = Thread.ofVirtual().name("pipeline-producer").start(() -> {
        try {
          for (int i = 0; i < items; i++) {
            slots.acquire();
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            long[] r = range(i);
            computing.put(new Item(i, cpu.submit(() -> Primes.countChunk(r))));
          }
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          failure.compareAndSet(null, e);
        }
        try {
          computing.put(Item.END);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      Thread router = Thread.ofVirtual().name("pipeline-router").start(() -> {
        try {
          for (Item it = computing.take(); it != Item.END; it = computing.take()) {
            long primes = it.future().get();
            storing.put(new Item(it.index(), ioEngine.submit(() -> store(primes, latency))));
          }
          storing.put(Item.END);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (ExecutionException | RuntimeException e) {
          failure.compareAndSet(null, e instanceof ExecutionException ? e.getCause() : e);
          try {
            storing.put(Item.END);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
          }
        }
      });
      long total = 0;
      int done = 0;
      try {
        for (Item it = storing.take(); it != Item.END; it = storing.take()) {
          total += it.future().get();
          inFlight.decrementAndGet();
          slots.release();
          bar.update(++done);
        }
      } finally {
        producer.interrupt();
        router.interrupt();
        producer.join();
        router.join();
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
          items, cpu.backendName(), latency, io))
          .row("items delivered", "%,d (total %,d primes, checked)", done, total)
          .row("time", "%.2f s (%,.0f items/s)", elapsed, items / elapsed)
          .row("one at a time (measured)", "%.1f ms per item", perItem * 1000)
          .row("speedup", "%.1fx", speedup)
          .row("items in the pipeline at once", "at most %d (window %d)", maxInFlight.get(), window)
          .headline("%.1fx, <= %d in flight", speedup, maxInFlight.get())
          .note("The CPU stage ran on " + cpu.backendName() + " and the I/O stage on " + io
              + "; each hand-off is a bounded queue, so a slow stage")
          .note("holds the producer back instead of letting items pile up in memory.");
    }
  }

  private static long[] range(int i) {
    return new long[] {i * RANGE, (i + 1) * RANGE};
  }
}
