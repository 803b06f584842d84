package dev.gearbox.benchmarks;

import static dev.gearbox.benchmarks.ProcessComparison.check;
import static dev.gearbox.benchmarks.ProcessComparison.median;
import static dev.gearbox.benchmarks.ProcessComparison.millis;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.MapOptions;
import dev.gearbox.benchmarks.ProcessComparison.Primes;
import java.io.IOException;
import java.io.Serializable;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The cluster backend against raw Hazelcast, every side measured in the same run:
 * <ol>
 *   <li>trivial-task round trip: {@code engine.submit(task).get()} on the default embedded member
 *       vs {@code IExecutorService.submit(callable).get()} on a raw embedded member configured the
 *       same way (loopback, no join, Jet and metrics off, a 2-thread executor);
 *   <li>CPU-bound speedup: primes below 2,000,000 in 16 chunks on two worker member JVMs
 *       ({@code WorkerMember}, 1 slot each) with the engine as a client, vs one thread;
 *   <li>embedded member start: {@code Engine.open} to the first result, first in this JVM (cold)
 *       and later (warm), vs {@code Hazelcast.newHazelcastInstance} warm.
 * </ol>
 * Run: {@code java -cp benchmarks/target/benchmarks.jar dev.gearbox.benchmarks.ClusterComparison}.
 */
public final class ClusterComparison {
  private static final int ROUND_TRIPS = 2_000;
  private static final int REPEATS = 5;

  private ClusterComparison() {}

  /** The raw side's task: Hazelcast serializes it with Java serialization, as the engine does tasks. */
  static final class One implements Callable<Integer>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Integer call() {
      return 1;
    }
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("hazelcast.logging.type", "slf4j");
    List<String> rows = new ArrayList<>();

    // 3 first, while this JVM has loaded no Hazelcast class: the cold embedded start.
    double cold = engineStartMillis();
    double warmEngine = median(REPEATS, ClusterComparison::engineStartMillis);
    double warmRaw = median(REPEATS, ClusterComparison::rawStartMillis);

    // 1. round trip
    double raw;
    HazelcastInstance hz = Hazelcast.newHazelcastInstance(rawConfig());
    try {
      IExecutorService ex = hz.getExecutorService("raw");
      raw = median(REPEATS, () -> roundTripMicros(() -> ex.submit(new One()).get()));
    } finally {
      hz.shutdown();
    }
    double engine;
    try (Engine e = Engine.open(EngineConfig.newBuilder().backend("cluster").workers(2).build())) {
      engine = median(REPEATS, () -> roundTripMicros(() -> e.submit(() -> 1).get()));
    }
    rows.add(String.format(Locale.ROOT, "| round trip, trivial task, embedded member (µs) | %.1f | raw IExecutorService.submit(): %.1f | %.2fx | <= 1.1x |",
        engine, raw, engine / raw));

    // 2. two member JVMs
    double single = median(3, () -> millis(() -> Primes.countRanges(Primes.ranges(2_000_000, 16))));
    double parallel = twoMembersMillis();
    rows.add(String.format(Locale.ROOT, "| primes below 2,000,000 in 16 chunks (ms) | %.0f on 2 member JVMs (engine as a client) | one thread: %.0f | speedup %.2fx | >= 1.8x |",
        parallel, single, single / parallel));

    rows.add(String.format(Locale.ROOT, "| embedded member start, Engine.open to first result (ms) | cold (first in the JVM): %.0f; warm: %.0f | raw Hazelcast.newHazelcastInstance, warm: %.0f | warm %.2fx | measure |",
        cold, warmEngine, warmRaw, warmEngine / warmRaw));

    System.out.println();
    System.out.println("| measurement | cluster backend | baseline | ratio | target |");
    System.out.println("|---|---|---|---|---|");
    rows.forEach(System.out::println);
    System.out.println();
    System.out.println("(medians of " + REPEATS + " repeats; " + ROUND_TRIPS + " round trips per repeat; "
        + Runtime.getRuntime().availableProcessors() + " cores; Java " + Runtime.version() + ")");
  }

  private static Config rawConfig() throws IOException {
    Config c = new Config();
    c.setClusterName("raw-" + System.nanoTime());
    c.setProperty("hazelcast.phone.home.enabled", "false");
    c.setProperty("hazelcast.shutdownhook.enabled", "false");
    c.setProperty("hazelcast.wait.seconds.before.join", "0");
    c.setProperty("hazelcast.health.monitoring.level", "OFF");
    c.getJetConfig().setEnabled(false);
    c.getMetricsConfig().setEnabled(false);
    NetworkConfig n = c.getNetworkConfig();
    n.setPort(freePort()).setPortAutoIncrement(false);
    n.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig j = n.getJoin();
    j.getMulticastConfig().setEnabled(false);
    j.getAutoDetectionConfig().setEnabled(false);
    j.getTcpIpConfig().setEnabled(false);
    c.getExecutorConfig("raw").setPoolSize(2).setStatisticsEnabled(false);
    return c;
  }

  private static double roundTripMicros(ProcessComparison.Body call) throws Exception {
    for (int i = 0; i < ROUND_TRIPS / 4; i++) {
      call.run();
    }
    long t = System.nanoTime();
    for (int i = 0; i < ROUND_TRIPS; i++) {
      call.run();
    }
    return (System.nanoTime() - t) / 1e3 / ROUND_TRIPS;
  }

  private static double engineStartMillis() throws Exception {
    long t = System.nanoTime();
    try (Engine e = Engine.open(EngineConfig.newBuilder().backend("cluster").workers(2).build())) {
      e.submit(() -> 1).get();
      return (System.nanoTime() - t) / 1e6;
    }
  }

  private static double rawStartMillis() throws IOException {
    long t = System.nanoTime();
    HazelcastInstance hz = Hazelcast.newHazelcastInstance(rawConfig());
    double ms = (System.nanoTime() - t) / 1e6;
    hz.shutdown();
    return ms;
  }

  /** Two WorkerMember JVMs (1 slot each) and an engine connected to them as a client. */
  private static double twoMembersMillis() throws Exception {
    String cluster = "bench-" + System.nanoTime();
    int p1 = freePort();
    int p2 = freePort();
    String members = "127.0.0.1:" + p1 + ",127.0.0.1:" + p2;
    Path logs = Files.createTempDirectory("gearbox-cluster-bench");
    List<Process> jvms = new ArrayList<>();
    // The deployment secret, passed as in production: in the members' environment, never on a command line.
    byte[] random = new byte[32];
    new java.security.SecureRandom().nextBytes(random);
    String secret = java.util.Base64.getEncoder().encodeToString(random);
    try {
      for (int port : new int[] {p1, p2}) {
        ProcessBuilder member = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"), "-Dhazelcast.logging.type=slf4j",
            "dev.gearbox.cluster.WorkerMember", "--exit-with-parent", "--cluster-name=" + cluster, "--port=" + port, "--members=" + members,
            "--slots=1", "--member-name=member-" + port)
            .redirectErrorStream(true).redirectOutput(logs.resolve(port + ".log").toFile());
        member.environment().put("GEARBOX_CLUSTER_SECRET", secret);
        jvms.add(member.start());
      }
      for (int i = 0; i < jvms.size(); i++) {
        Path log = logs.resolve((i == 0 ? p1 : p2) + ".log");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(log, StandardCharsets.UTF_8).contains("gearbox worker member ready")) {
          if (!jvms.get(i).isAlive() || System.nanoTime() > deadline) {
            throw new IllegalStateException("worker member did not start:\n" + Files.readString(log, StandardCharsets.UTF_8));
          }
          Thread.sleep(50); // polling a log file for the member's ready line; nothing to wait on instead
        }
      }
      try (Engine e = Engine.open(EngineConfig.newBuilder().backend("cluster")
          .option("gearbox.cluster.mode", "client").option("gearbox.cluster.secret", secret)
          .option("gearbox.cluster.cluster-name", cluster)
          .option("gearbox.cluster.members", members).option("gearbox.cluster.min-members", "2").build())) {
        long expected = Primes.countRanges(Primes.ranges(2_000_000, 16));
        for (int i = 0; i < 3; i++) {
          check(primes(e), expected); // warm both members' JIT
        }
        return median(3, () -> millis(() -> check(primes(e), expected)));
      }
    } finally {
      for (Process p : jvms) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
      try (Stream<Path> files = Files.list(logs)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(logs);
    }
  }

  private static long primes(Engine e) {
    try (Stream<Long> counts = e.mapUnordered(Primes::countRange, Arrays.asList(Primes.ranges(2_000_000, 16)),
        MapOptions.newBuilder().chunkSize(1).build())) {
      return counts.mapToLong(Long::longValue).sum();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
