package dev.gearbox.benchmarks;

import com.sun.net.httpserver.HttpServer;
import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.TaskFuture;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Side-by-side wall time and peak heap for work that mostly waits, each variant measured in the
 * same run (after a warm-up round), with ratios against the raw JDK baseline of its scenario:
 *
 * <ol>
 *   <li><b>sleep</b>: 100,000 tasks that each sleep 1 s, all submitted at once: async backend vs
 *       raw {@code newVirtualThreadPerTaskExecutor()} vs the thread backend's default pool (run on
 *       a few tasks only, since it would take hours, and projected from its measured rate).
 *   <li><b>http</b>: 10,000 GET requests to a local HTTP server (started here, on loopback) that
 *       answers after 50 ms: blocking {@code HttpClient.send} in tasks on the async backend, the
 *       same as {@code AsyncTask}s over {@code sendAsync}, a raw virtual-thread executor with the
 *       same concurrency cap, and the thread backend's default pool (a few hundred requests,
 *       projected). In-flight requests are capped at 2,000 for every variant: client and server
 *       sockets share this JVM and the machine allows 20,000 open files.
 * </ol>
 *
 * <pre>java -Xmx2g -cp benchmarks/target/benchmarks.jar dev.gearbox.benchmarks.WaitingTasksComparison [--quick]</pre>
 *
 * <p>{@code --sleep-rounds N} runs only the sleep scenario's raw and async variants, alternated
 * (raw, async, raw, async...) N times after the warm-up, and prints each round and the medians
 * with their ranges.
 *
 * <p>{@code --retained N [ROUNDS]} measures what N blocked tasks keep alive, which peak heap cannot
 * tell from garbage: the raw executor and the async backend alternated ROUNDS times (default 5),
 * each with N tasks parked on a latch; once all have started, a full GC, then heap in use above
 * idle per task and, by the JVM's class histogram (exact), the bytes of the virtual threads' stack
 * chunks (which move from run to run on both sides) and of everything else; the classes in the
 * first round; then the tasks are let go. Ends with the medians and ranges of the ratios.
 */
public final class WaitingTasksComparison {
  private static final int HTTP_CONCURRENCY = 2_000;
  private static final long SLEEP_MILLIS = 1_000;
  private static final long LATENCY_MILLIS = 50;

  private record Result(String scenario, String variant, int tasks, double seconds, double peakMb, boolean projected, double baseline) {}

  private WaitingTasksComparison() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 1 && args[0].equals("--sleep-rounds")) {
      sleepRounds(Integer.parseInt(args[1]), 100_000);
      return;
    }
    if (args.length > 1 && args[0].equals("--retained")) {
      retained(Integer.parseInt(args[1]), args.length > 2 ? Integer.parseInt(args[2]) : 5);
      return;
    }
    boolean quick = args.length > 0 && args[0].equals("--quick");
    int sleeps = quick ? 10_000 : 100_000;
    int requests = quick ? 2_000 : 10_000;
    // Warm-up round: JIT, class loading, the HTTP stack.
    sleepAsync(2_000);
    sleepRaw(2_000);
    try (LocalServer server = new LocalServer()) {
      httpAsyncBlocking(server, 500);
      httpAsyncStages(server, 500);
      httpRaw(server, 500);
    }

    List<Result> rows = new ArrayList<>();
    Measured raw = measure(() -> sleepRaw(sleeps));
    rows.add(new Result("sleep 1 s", "raw newVirtualThreadPerTaskExecutor", sleeps, raw.seconds, raw.peakMb, false, raw.seconds));
    Measured async = measure(() -> sleepAsync(sleeps));
    rows.add(new Result("sleep 1 s", "async backend (blocking tasks)", sleeps, async.seconds, async.peakMb, false, raw.seconds));
    int few = 8;
    Measured thread = measure(() -> sleepThread(few));
    rows.add(new Result("sleep 1 s", "thread backend, default pool (" + Runtime.getRuntime().availableProcessors()
        + " threads), " + few + " tasks measured", sleeps, thread.seconds * sleeps / few, thread.peakMb, true, raw.seconds));

    try (LocalServer server = new LocalServer()) {
      Measured rawHttp = measure(() -> httpRaw(server, requests));
      rows.add(new Result("http 50 ms", "raw virtual threads + semaphore(" + HTTP_CONCURRENCY + ")", requests,
          rawHttp.seconds, rawHttp.peakMb, false, rawHttp.seconds));
      Measured blocking = measure(() -> httpAsyncBlocking(server, requests));
      rows.add(new Result("http 50 ms", "async backend, blocking send()", requests, blocking.seconds, blocking.peakMb, false, rawHttp.seconds));
      Measured stages = measure(() -> httpAsyncStages(server, requests));
      rows.add(new Result("http 50 ms", "async backend, AsyncTask sendAsync()", requests, stages.seconds, stages.peakMb, false, rawHttp.seconds));
      int someRequests = quick ? 100 : 400;
      Measured threads = measure(() -> httpThread(server, someRequests));
      rows.add(new Result("http 50 ms", "thread backend, default pool, " + someRequests + " requests measured", requests,
          threads.seconds * requests / someRequests, threads.peakMb, true, rawHttp.seconds));
    }

    System.out.println();
    System.out.println("| scenario | variant | tasks | wall time | vs raw | peak heap above idle |");
    System.out.println("|---|---|---|---|---|---|");
    for (Result r : rows) {
      System.out.printf(Locale.ROOT, "| %s | %s | %,d | %s%.2f s | %.2fx | %.0f MB |%n", r.scenario, r.variant, r.tasks,
          r.projected ? "~" : "", r.seconds, r.seconds / r.baseline, r.peakMb);
    }
    System.out.println("(~ = projected from the measured rate; the full run would take that long)");
  }

  // ---------------------------------------------------------------- sleep

  /** The sleep scenario, raw and async alternated {@code rounds} times: medians and ranges. */
  private static void sleepRounds(int rounds, int sleeps) throws Exception {
    sleepAsync(2_000);
    sleepRaw(2_000);
    List<Measured> raw = new ArrayList<>();
    List<Measured> async = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      raw.add(measure(() -> sleepRaw(sleeps)));
      async.add(measure(() -> sleepAsync(sleeps)));
      System.out.printf(Locale.ROOT, "round %d: raw %.2f s %.0f MB, async %.2f s %.0f MB%n", r + 1,
          raw.get(r).seconds, raw.get(r).peakMb, async.get(r).seconds, async.get(r).peakMb);
    }
    System.out.printf(Locale.ROOT, "wall time: raw %s, async %s; peak heap: raw %s, async %s (MB)%n",
        medianAndRange(raw.stream().mapToDouble(Measured::seconds).toArray()),
        medianAndRange(async.stream().mapToDouble(Measured::seconds).toArray()),
        medianAndRange(raw.stream().mapToDouble(Measured::peakMb).toArray()),
        medianAndRange(async.stream().mapToDouble(Measured::peakMb).toArray()));
  }

  private static String medianAndRange(double[] xs) {
    double[] s = xs.clone();
    java.util.Arrays.sort(s);
    double median = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    return String.format(Locale.ROOT, "%.2f [%.2f-%.2f]", median, s[0], s[s.length - 1]);
  }

  private static void sleepRaw(int n) throws Exception {
    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<Object>> fs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        fs.add(ex.submit(() -> {
          Thread.sleep(SLEEP_MILLIS);
          return null;
        }));
      }
      for (Future<Object> f : fs) {
        f.get();
      }
    }
  }

  private static void sleepAsync(int n) throws Exception {
    sleepOn(EngineConfig.newBuilder().backend("async").queueCapacity(1_000_000), n);
  }

  private static void sleepThread(int n) throws Exception {
    sleepOn(EngineConfig.newBuilder().backend("thread"), n);
  }

  private static void sleepOn(EngineConfig.Builder config, int n) throws Exception {
    try (Engine engine = Engine.open(config.build())) {
      List<TaskFuture<Object>> fs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        fs.add(engine.submit(() -> {
          Thread.sleep(SLEEP_MILLIS);
          return null;
        }));
      }
      for (TaskFuture<Object> f : fs) {
        f.get();
      }
    }
  }

  // ---------------------------------------------------------------- retained

  /** A way to start {@code n} tasks that each run {@code body}; returns a handle that waits for them and closes. */
  @FunctionalInterface
  private interface Starter {
    Body start(int n, java.util.concurrent.Callable<Object> body) throws Exception;
  }

  /** The class of the virtual threads' stack chunks, whose size per task moves from run to run on both sides. */
  private static final String STACK_CHUNK = "jdk.internal.vm.StackChunk";

  /** What {@link #retainedBy} measured: bytes per task in all, and held by objects other than stack chunks. */
  private record Held(double total, double withoutStacks, double stacks) {}

  private static void retained(int n, int rounds) throws Exception {
    Starter raw = (count, body) -> {
      ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor();
      List<Future<Object>> fs = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        fs.add(ex.submit(body));
      }
      return () -> {
        for (Future<Object> f : fs) {
          f.get();
        }
        ex.close();
      };
    };
    Starter async = (count, body) -> {
      Engine engine = Engine.open(EngineConfig.newBuilder().backend("async").queueCapacity(1_000_000).build());
      List<TaskFuture<Object>> fs = new ArrayList<>(count);
      dev.gearbox.Task<Object> task = body::call; // one task object submitted count times, as the raw side does
      for (int i = 0; i < count; i++) {
        fs.add(engine.submit(task));
      }
      return () -> {
        for (TaskFuture<Object> f : fs) {
          f.get();
        }
        engine.close();
      };
    };
    // Warm-up, long enough for the JIT to compile the frames the tasks park in: a stack chunk's
    // size depends on whether they were interpreted or compiled when the thread first parked.
    for (int w = 0; w < 3; w++) {
      retainedBy("raw", raw, 9_000, false);
      retainedBy("async", async, 9_000, false);
    }
    List<Held> raws = new ArrayList<>();
    List<Held> asyncs = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      raws.add(retainedBy("raw newVirtualThreadPerTaskExecutor", raw, n, round == 0));
      asyncs.add(retainedBy("async backend", async, n, round == 0));
      System.out.printf(Locale.ROOT, "round %d: total raw %.0f, async %.0f B per task (%.2fx); without stack chunks"
          + " raw %.0f, async %.0f (%.2fx); stack chunks raw %.0f, async %.0f%n", round + 1,
          raws.get(round).total, asyncs.get(round).total, asyncs.get(round).total / raws.get(round).total,
          raws.get(round).withoutStacks, asyncs.get(round).withoutStacks,
          asyncs.get(round).withoutStacks / raws.get(round).withoutStacks, raws.get(round).stacks, asyncs.get(round).stacks);
    }
    double[] totalRatio = new double[rounds];
    double[] heldRatio = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      totalRatio[r] = asyncs.get(r).total / raws.get(r).total;
      heldRatio[r] = asyncs.get(r).withoutStacks / raws.get(r).withoutStacks;
    }
    System.out.printf(Locale.ROOT, "%d rounds, median [range]: total async/raw %s; without stack chunks async/raw %s;"
        + " B per task without stack chunks: raw %s, async %s; stack chunks: raw %s, async %s%n", rounds,
        medianAndRange(totalRatio), medianAndRange(heldRatio),
        medianAndRange(raws.stream().mapToDouble(Held::withoutStacks).toArray()),
        medianAndRange(asyncs.stream().mapToDouble(Held::withoutStacks).toArray()),
        medianAndRange(raws.stream().mapToDouble(Held::stacks).toArray()),
        medianAndRange(asyncs.stream().mapToDouble(Held::stacks).toArray()));
  }

  /**
   * Starts {@code n} tasks that block, measures what they hold once all have started (heap in use
   * above idle after a full GC; and by the class histogram, which is exact, the bytes of stack
   * chunks and of everything else), then lets them go. Prints the classes when {@code print}.
   */
  private static Held retainedBy(String variant, Starter starter, int n, boolean print) throws Exception {
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    System.gc();
    System.gc();
    long idle = mem.getHeapMemoryUsage().getUsed();
    boolean histogram = n >= 10_000;
    java.util.Map<String, long[]> before = histogram ? classHistogram() : java.util.Map.of();
    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(n);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    Body waitAll = starter.start(n, () -> {
      started.countDown();
      release.await();
      return null;
    });
    started.await();
    System.gc();
    System.gc();
    long held = mem.getHeapMemoryUsage().getUsed() - idle;
    java.util.Map<String, long[]> after = histogram ? classHistogram() : java.util.Map.of();
    release.countDown();
    waitAll.run();
    if (!histogram) {
      return new Held(0, 0, 0);
    }
    List<java.util.Map.Entry<String, long[]>> rows = new ArrayList<>();
    for (java.util.Map.Entry<String, long[]> e : after.entrySet()) {
      long[] b = before.getOrDefault(e.getKey(), new long[2]);
      long instances = e.getValue()[0] - b[0];
      long bytes = e.getValue()[1] - b[1];
      if (bytes >= n / 2) {
        rows.add(java.util.Map.entry(e.getKey(), new long[] {instances, bytes}));
      }
    }
    rows.sort((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1]));
    long total = 0;
    long stacks = 0;
    for (java.util.Map.Entry<String, long[]> r : rows) {
      total += r.getValue()[1];
      if (r.getKey().equals(STACK_CHUNK)) {
        stacks += r.getValue()[1];
      }
    }
    System.out.printf(Locale.ROOT, "%s: %d tasks blocked, heap above idle after GC %.1f MB, %.0f B per task%n",
        variant, n, held / 1e6, (double) held / n);
    if (print) {
      for (java.util.Map.Entry<String, long[]> r : rows) {
        System.out.printf(Locale.ROOT, "  %8.2f objects %7.1f B per task  %s%n",
            (double) r.getValue()[0] / n, (double) r.getValue()[1] / n, r.getKey());
      }
      System.out.printf(Locale.ROOT, "  total of these: %.0f B per task (%.0f without stack chunks)%n",
          (double) total / n, (double) (total - stacks) / n);
    }
    return new Held((double) held / n, (double) (total - stacks) / n, (double) stacks / n);
  }

  /** Instances and bytes per class, from the JVM's class histogram (jcmd GC.class_histogram, which runs a full GC). */
  private static java.util.Map<String, long[]> classHistogram() throws Exception {
    javax.management.ObjectName name = new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand");
    String text = (String) ManagementFactory.getPlatformMBeanServer().invoke(name, "gcClassHistogram",
        new Object[] {null}, new String[] {String[].class.getName()});
    java.util.Map<String, long[]> out = new java.util.HashMap<>();
    for (String line : text.split("\\R")) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 4 && f[0].endsWith(":")) {
        out.put(f[3], new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- http

  /** A loopback HTTP server whose handlers answer after {@link #LATENCY_MILLIS}. */
  private static final class LocalServer implements AutoCloseable {
    static {
      // The JDK's server keeps at most 200 idle connections by default and closes the rest, while
      // the client keeps up to HTTP_CONCURRENCY in its pool: the next variant then sends on a
      // connection the server has closed and fails ("header parser received no bytes"). Read once,
      // when the server's classes load, so set before the first server is made.
      if (System.getProperty("sun.net.httpserver.maxIdleConnections") == null) {
        System.setProperty("sun.net.httpserver.maxIdleConnections", String.valueOf(2 * HTTP_CONCURRENCY));
      }
    }

    final HttpServer server;
    final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final HttpRequest request;

    LocalServer() throws Exception {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
      server.createContext("/", exchange -> {
        try {
          Thread.sleep(LATENCY_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        byte[] body = "ok".getBytes();
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      });
      server.setExecutor(handlers);
      server.start();
      request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/")).build();
    }

    @Override
    public void close() {
      server.stop(0);
      handlers.close();
      client.close();
    }
  }

  private static void httpRaw(LocalServer s, int n) throws Exception {
    Semaphore cap = new Semaphore(HTTP_CONCURRENCY);
    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<Integer>> fs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        cap.acquire();
        fs.add(ex.submit(() -> {
          try {
            return s.client.send(s.request, HttpResponse.BodyHandlers.ofString()).statusCode();
          } finally {
            cap.release();
          }
        }));
      }
      check(fs);
    }
  }

  private static void httpAsyncBlocking(LocalServer s, int n) throws Exception {
    try (Engine engine = Engine.open(EngineConfig.newBuilder().backend("async")
        .option("gearbox.async.max-concurrency", String.valueOf(HTTP_CONCURRENCY)).queueCapacity(n).build())) {
      List<TaskFuture<Integer>> fs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        fs.add(engine.submit(() -> s.client.send(s.request, HttpResponse.BodyHandlers.ofString()).statusCode()));
      }
      check(fs);
    }
  }

  private static void httpAsyncStages(LocalServer s, int n) throws Exception {
    try (Engine engine = Engine.open(EngineConfig.newBuilder().backend("async")
        .option("gearbox.async.max-concurrency", String.valueOf(HTTP_CONCURRENCY)).queueCapacity(n).build())) {
      List<TaskFuture<Integer>> fs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        fs.add(engine.submitAsync(ctx -> s.client.sendAsync(s.request, HttpResponse.BodyHandlers.ofString())
            .thenApply(HttpResponse::statusCode)));
      }
      check(fs);
    }
  }

  private static void httpThread(LocalServer s, int n) throws Exception {
    try (Engine engine = Engine.open(EngineConfig.newBuilder().backend("thread").build())) {
      List<TaskFuture<Integer>> fs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        fs.add(engine.submit(() -> s.client.send(s.request, HttpResponse.BodyHandlers.ofString()).statusCode()));
      }
      check(fs);
    }
  }

  private static void check(List<? extends Future<Integer>> fs) throws Exception {
    for (Future<Integer> f : fs) {
      int status = f.get();
      if (status != 200) {
        throw new IllegalStateException("HTTP " + status);
      }
    }
  }

  // ---------------------------------------------------------------- measuring

  private record Measured(double seconds, double peakMb) {}

  @FunctionalInterface
  private interface Body {
    void run() throws Exception;
  }

  /** Wall time, and peak heap use above the level right after a GC, sampled every 5 ms. */
  private static Measured measure(Body body) throws Exception {
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    System.gc();
    long idle = mem.getHeapMemoryUsage().getUsed();
    AtomicLong peak = new AtomicLong(idle);
    Thread sampler = Thread.ofPlatform().daemon().name("heap-sampler").start(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        peak.accumulateAndGet(mem.getHeapMemoryUsage().getUsed(), Math::max);
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    long t0 = System.nanoTime();
    try {
      body.run();
    } finally {
      sampler.interrupt();
      sampler.join();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Measured(seconds, (peak.get() - idle) / 1e6);
  }
}
