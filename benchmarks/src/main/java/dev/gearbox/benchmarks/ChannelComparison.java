package dev.gearbox.benchmarks;

import dev.gearbox.Channel;
import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.Task;
import dev.gearbox.TaskFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Channels between the engine and a process worker, against their baselines, all measured in this
 * run:
 *
 * <ol>
 *   <li>round trip: the caller sends on one rendezvous channel and receives on another while a task
 *       in a worker JVM answers each element, vs a raw one-byte ping-pong over a child JVM's pipes;
 *   <li>throughput: a task in a worker JVM sends small integers through a bounded channel (capacity
 *       1,024) to the caller, vs Python's {@code multiprocessing.Queue} and {@code Pipe} between two
 *       processes (skipped when python3 is absent).
 * </ol>
 * Each figure is the median of several repetitions. {@code --quick} runs tiny sizes once, to check
 * that the runner works; its numbers mean nothing.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.gearbox.benchmarks.ChannelComparison [--quick] [roundtrip|throughput ...]</pre>
 */
public final class ChannelComparison {
  private ChannelComparison() {}

  /** Sizes of one run. */
  private record Sizes(int roundTrips, int elements, int repeats) {}

  public static void main(String[] args) throws Exception {
    List<String> all = List.of("roundtrip", "throughput");
    List<String> sections = new ArrayList<>();
    Sizes sizes = new Sizes(5_000, 200_000, 5);
    for (String a : args) {
      if (a.equals("--quick")) {
        sizes = new Sizes(200, 2_000, 1);
      } else {
        sections.add(a);
      }
    }
    if (sections.isEmpty()) {
      sections.addAll(all);
    }
    if (!all.containsAll(sections)) {
      System.err.println("unknown section in " + sections + "; the sections are " + all + " (none given: all of them)");
      System.exit(2);
    }
    String cp = System.getProperty("java.class.path");
    String java = ProcessHandle.current().info().command().orElseThrow();
    Sizes n = sizes;
    List<String> rows = new ArrayList<>();

    if (sections.contains("roundtrip")) {
      double raw = ProcessComparison.median(n.repeats, () -> ProcessComparison.rawPingPongMicros(java, cp, n.roundTrips));
      double channel;
      try (Engine e = open()) {
        channel = ProcessComparison.median(n.repeats, () -> roundTripMicros(e, n.roundTrips));
      }
      rows.add(String.format(Locale.ROOT, "| round trip engine <-> worker (µs) | %.1f | %.1f (raw pipe ping-pong to a child JVM) | %.2fx | — | <= 3x |",
          channel, raw, channel / raw));
    }

    if (sections.contains("throughput")) {
      double rate;
      try (Engine e = open()) {
        rate = ProcessComparison.median(n.repeats, () -> throughput(e, n.elements));
      }
      Double queue = pythonStream(n, "mp.Queue(1024)", "end.put", "end.get");
      Double pipe = pythonStream(n, "mp.Pipe(duplex=False)[::-1]", "end.send", "end.recv");
      rows.add(String.format(Locale.ROOT, "| throughput worker -> engine, small ints (elements/s) | %,.0f | %s | %s | %s | >= 2x |",
          rate, queue == null ? "python3 absent, column skipped" : String.format(Locale.ROOT, "%,.0f (Python multiprocessing.Queue)", queue),
          queue == null ? "—" : String.format(Locale.ROOT, "%.2fx", rate / queue),
          pipe == null ? "—" : String.format(Locale.ROOT, "Python Pipe %,.0f: %.2fx", pipe, rate / pipe)));
    }

    System.out.println();
    System.out.println("| measurement | channel | baseline | ratio | other | target |");
    System.out.println("|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  /**
   * Elements per second from a child process to its parent through a Python channel, timed from the
   * first element's arrival; null without python3. {@code make} makes the channel (for a Pipe, its
   * two ends, the sending one first); {@code put} and {@code get} are called on the end each side holds.
   */
  private static Double pythonStream(Sizes n, String make, String put, String get) {
    String sending = make.startsWith("mp.Pipe") ? "ends[0]" : "ends";
    String receiving = make.startsWith("mp.Pipe") ? "ends[1]" : "ends";
    return ProcessComparison.python(String.format(Locale.ROOT, """
        import time, multiprocessing as mp
        def produce(end, n):
            for i in range(n): %s(i)
        if __name__ == '__main__':
            rates = []
            for _ in range(%d):
                ends = %s; n = %d
                p = mp.Process(target=produce, args=(%s, n)); p.start()
                end = %s
                %s(); t = time.perf_counter()
                for _ in range(n - 1): %s()
                rates.append((n - 1) / (time.perf_counter() - t)); p.join()
            rates.sort(); print(rates[len(rates) // 2])
        """, put, n.repeats, make, n.elements, sending, receiving, get, get));
  }

  private static Engine open() {
    return Engine.open(EngineConfig.newBuilder().backend("process").workers(1).name("chan-bench-" + System.nanoTime()).build());
  }

  /** Answers {@code trips} elements of {@code ping} on {@code pong}. */
  private static Task<Integer> echo(Channel<Integer> ping, Channel<Integer> pong, int trips) {
    return () -> {
      for (int i = 0; i < trips; i++) {
        pong.send(ping.receive());
      }
      return trips;
    };
  }

  /** Round trips through a worker after as many untimed ones: µs each. */
  private static double roundTripMicros(Engine e, int trips) throws Exception {
    Channel<Integer> ping = Channel.rendezvous("ping");
    Channel<Integer> pong = Channel.rendezvous("pong");
    TaskFuture<Integer> partner = e.submit(echo(ping, pong, 2 * trips));
    for (int i = 0; i < trips; i++) {
      ping.send(i);
      pong.receive();
    }
    long t = System.nanoTime();
    for (int i = 0; i < trips; i++) {
      ping.send(i);
      if (pong.receive() != i) {
        throw new IllegalStateException("out of order");
      }
    }
    double micros = (System.nanoTime() - t) / 1e3 / trips;
    partner.get();
    return micros;
  }

  /** Sends 0..n-1, then closes. */
  private static Task<Integer> produce(Channel<Integer> out, int n) {
    return () -> {
      for (int i = 0; i < n; i++) {
        out.send(i);
      }
      out.close();
      return n;
    };
  }

  /** Elements per second from a worker to the caller, timed from the first element's arrival. */
  private static double throughput(Engine e, int n) throws Exception {
    Channel<Integer> ch = Channel.bounded("stream", 1_024);
    TaskFuture<Integer> producer = e.submit(produce(ch, n));
    ch.receive();
    long t = System.nanoTime();
    long sum = 0;
    for (int x : ch) {
      sum += x;
    }
    double rate = (n - 1) / ((System.nanoTime() - t) / 1e9);
    producer.get();
    if (sum != (long) n * (n - 1) / 2) {
      throw new IllegalStateException("lost or duplicated elements: sum " + sum);
    }
    return rate;
  }
}
