package dev.gearbox.benchmarks;

import static dev.gearbox.benchmarks.ProcessComparison.check;
import static dev.gearbox.benchmarks.ProcessComparison.median;
import static dev.gearbox.benchmarks.ProcessComparison.millis;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
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
 *       same way (loopback, no join, Jet and metrics off, a 2-thread executor), measured A B A B;
 *   <li>CPU-bound speedup: primes below 2,000,000 in 16 chunks on two worker member JVMs
 *       ({@code WorkerMember}, 1 slot each): one thread, a raw Hazelcast client that queues all 16
 *       chunks on the members at once, and the engine as a client, round after round on the same
 *       members; the figure that matters is the engine's speedup over raw Hazelcast's;
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

    // 1. round trip: the raw member and the engine's embedded member side by side, measured A B A B.
    double[] raw = new double[REPEATS];
    double[] engine = new double[REPEATS];
    HazelcastInstance hz = Hazelcast.newHazelcastInstance(rawConfig());
    try (Engine e = Engine.open(EngineConfig.newBuilder().backend("cluster").workers(2).build())) {
      IExecutorService ex = hz.getExecutorService("raw");
      for (int i = 0; i < REPEATS; i++) {
        raw[i] = roundTripMicros(() -> ex.submit(new One()).get());
        engine[i] = roundTripMicros(() -> e.submit(() -> 1).get());
      }
    } finally {
      hz.shutdown();
    }
    rows.add(String.format(Locale.ROOT, "| round trip, trivial task, embedded member (µs) | %s | raw IExecutorService.submit(): %s | %s | <= 1.2x |",
        spread(engine), spread(raw), spread(ratios(engine, raw))));

    // 2. two member JVMs: one thread, raw Hazelcast and the engine on the same members, round after round.
    double[][] two = twoMembersMillis();
    double[] single = two[0];
    double[] rawMembers = two[1];
    double[] engineMembers = two[2];
    rows.add(String.format(Locale.ROOT, "| primes below 2,000,000 in 16 chunks on 2 member JVMs (ms) | engine as a client: %s (speedup %s) | raw Hazelcast client, same members: %s (speedup %s); one thread: %s | engine speedup / raw speedup %s | >= 0.9x |",
        spread(engineMembers), spread(ratios(single, engineMembers)), spread(rawMembers), spread(ratios(single, rawMembers)),
        spread(single), spread(ratios(rawMembers, engineMembers))));

    rows.add(String.format(Locale.ROOT, "| embedded member start, Engine.open to first result (ms) | cold (first in the JVM): %.0f; warm: %.0f | raw Hazelcast.newHazelcastInstance, warm: %.0f | warm %.2fx | measure |",
        cold, warmEngine, warmRaw, warmEngine / warmRaw));

    System.out.println();
    System.out.println("| measurement | cluster backend | baseline | ratio | target |");
    System.out.println("|---|---|---|---|---|");
    rows.forEach(System.out::println);
    System.out.println();
    System.out.println("(median [range] of interleaved repeats: " + REPEATS + " for the round trip, " + ROUND_TRIPS
        + " round trips each; 9 rounds on the members after 10 of warm-up; "
        + Runtime.getRuntime().availableProcessors() + " cores; Java " + Runtime.version() + ")");
  }

  /** {@code a[i] / b[i]} for each round. */
  static double[] ratios(double[] a, double[] b) {
    double[] r = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      r[i] = a[i] / b[i];
    }
    return r;
  }

  /** "median [min–max]" of the rounds: medians with ranges, as the results logs quote them. */
  static String spread(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    String f = s[s.length / 2] >= 100 ? "%.0f" : "%.2f";
    return String.format(Locale.ROOT, f + " [" + f + "–" + f + "]", s[s.length / 2], s[0], s[s.length - 1]);
  }

  /**
   * The raw side's CPU task: a chunk of the primes count as a {@code DataSerializable} callable,
   * which Hazelcast encodes without Java serialization (so the members' filter lets it through),
   * as compact as Hazelcast allows.
   */
  public static final class PrimesChunk implements Callable<Long>, DataSerializable {
    private long from;
    private long to;

    /** For Hazelcast's deserialization. */
    public PrimesChunk() {}

    PrimesChunk(long[] range) {
      this.from = range[0];
      this.to = range[1];
    }

    @Override
    public Long call() {
      return Primes.countRange(new long[] {from, to});
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeLong(from);
      out.writeLong(to);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      from = in.readLong();
      to = in.readLong();
    }
  }

  /** All 16 chunks at once, spread over the members in turn and queued in their executors: how a raw user does it. */
  private static long rawPrimes(HazelcastInstance client) throws Exception {
    IExecutorService tasks = client.getExecutorService("gearbox-tasks");
    List<Member> members = new ArrayList<>(client.getCluster().getMembers());
    List<java.util.concurrent.Future<Long>> parts = new ArrayList<>();
    long[][] ranges = Primes.ranges(2_000_000, 16);
    for (int i = 0; i < ranges.length; i++) {
      parts.add(tasks.submitToMember(new PrimesChunk(ranges[i]), members.get(i % members.size())));
    }
    long total = 0;
    for (var f : parts) {
      total += f.get();
    }
    return total;
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

  /**
   * Two WorkerMember JVMs (1 slot each); against them, round after round: one thread in this JVM,
   * a raw Hazelcast client and the engine as a client. Returns the rounds' milliseconds of each.
   */
  private static double[][] twoMembersMillis() throws Exception {
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
        ClientConfig cc = new ClientConfig();
        cc.setClusterName(cluster);
        cc.getNetworkConfig().addAddress(members.split(","));
        cc.getMetricsConfig().setEnabled(false);
        HazelcastInstance raw = HazelcastClient.newHazelcastClient(cc);
        try {
          long expected = Primes.countRanges(Primes.ranges(2_000_000, 16));
          // Warm the members' JIT on both paths, and this JVM's: 10 rounds each, 160 tasks. The engine's own path
          // (dispatch, codec, Hazelcast client) needs that many before its CPU per task, which the members lack
          // on 2 cores, settles; the first rounds are in the results log.
          for (int i = 0; i < 10; i++) {
            check(primes(e), expected);
            check(rawPrimes(raw), expected);
            check(Primes.countRanges(Primes.ranges(2_000_000, 16)), expected);
          }
          int rounds = 9;
          double[][] ms = new double[3][rounds];
          for (int i = 0; i < rounds; i++) {
            ms[0][i] = millis(() -> check(Primes.countRanges(Primes.ranges(2_000_000, 16)), expected));
            ms[1][i] = millis(() -> check(rawPrimes(raw), expected));
            ms[2][i] = millis(() -> check(primes(e), expected));
          }
          return ms;
        } finally {
          raw.shutdown();
        }
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
