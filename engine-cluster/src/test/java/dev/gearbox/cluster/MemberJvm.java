package dev.gearbox.cluster;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link WorkerMember} in a child JVM on loopback, started with this JVM's java and (by default)
 * classpath, its output in a log file. Always {@link #close() closed} by the test that started it;
 * if this JVM dies first, the member halts by itself ({@link TestMemberMain}: it watches the
 * stdin pipe this class keeps open).
 *
 * <p>The port asked for is only a first choice (members auto-increment past a port taken in the
 * meantime): the port the member really bound is read from its ready line ({@link #port()}).
 */
final class MemberJvm implements AutoCloseable {
  /** How long a member JVM may take to start and join (cold JVM, Hazelcast classes). */
  static final Duration STARTUP = Duration.ofSeconds(60);
  /** How long a killed or closed member may take to exit. */
  static final Duration EXIT = Duration.ofSeconds(10);
  /** How long {@link #close()} lets a member stop by itself before it kills it. */
  private static final Duration GRACEFUL = Duration.ofSeconds(5);
  /** WorkerMember's ready line: "gearbox worker member ready: member NAME at HOST:PORT, cluster 'C', ...". */
  private static final Pattern READY = Pattern.compile("gearbox worker member ready: .* at ([0-9.]+):(\\d+), cluster '");

  /** The deployment secret of the tests' clusters: member JVMs get it in their environment, engines as an option. */
  static final String SECRET = "gearbox-test-secret-" + Long.toHexString(new java.security.SecureRandom().nextLong());

  final String name;
  final Path log;
  private final Process process;
  private volatile int port = -1;
  /** A directory this member created for itself ({@link #startAlone}); {@link #close()} deletes it. */
  private Path ownDir;

  private MemberJvm(String name, Path log, Process process) {
    this.name = name;
    this.log = log;
    this.process = process;
  }

  /** A free TCP port on loopback: a first choice only, since something else may take it before the member binds it. */
  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A ready member alone in cluster {@code cluster}, logging into a temporary directory of its
   * own that {@link #close()} deletes: for class-wide fixtures, which have no {@code @TempDir}.
   * {@code options} as for {@link #start}.
   */
  static MemberJvm startAlone(String name, String cluster, String classpath, int slots, String... options) throws IOException {
    Path dir = Files.createTempDirectory("gearbox-" + name);
    int port = freePort();
    List<String> all = new ArrayList<>(List.of("--cluster-name=" + cluster, "--members=127.0.0.1:" + port, "--slots=" + slots));
    all.addAll(Arrays.asList(options));
    MemberJvm m = start(dir, name, port, classpath, all.toArray(String[]::new));
    m.ownDir = dir;
    try {
      m.awaitReady();
    } catch (RuntimeException | Error e) {
      m.close();
      throw e;
    }
    return m;
  }

  /** {@code options}: WorkerMember's options; those starting with {@code -D} are system properties of the member's JVM. */
  static MemberJvm start(Path dir, String name, int port, String classpath, String... options) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(launcherDir() + java.io.File.pathSeparator + classpath);
    cmd.add("-Xmx256m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    String flags = System.getProperty("gearbox.test.member.flags", "").trim();
    if (!flags.isEmpty()) {
      cmd.addAll(Arrays.asList(flags.split("\\s+")));
    }
    Arrays.stream(options).filter(o -> o.startsWith("-D")).forEach(cmd::add);
    cmd.add(TestMemberMain.class.getName());
    cmd.add("--member-name=" + name);
    cmd.add("--port=" + port);
    Arrays.stream(options).filter(o -> !o.startsWith("-D")).forEach(cmd::add);
    Path log = dir.resolve(name + ".log");
    // stdin stays a pipe from this JVM: the member halts when it closes (TestMemberMain).
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.PIPE);
    pb.environment().remove(ClusterConfig.SECRET_ENV);
    if (Arrays.stream(options).noneMatch(o -> o.startsWith("--secret-file=") || o.startsWith("--insecure="))) {
      pb.environment().put(ClusterConfig.SECRET_ENV, SECRET); // as in production: never on the command line
    }
    Process p = pb.start();
    return new MemberJvm(name, log, p);
  }

  /** A file under the build directory that holds {@code secret}, readable by this user only, for --secret-file. */
  static Path secretFile(String secret) throws IOException {
    Path dir = Files.createDirectories(Path.of("target", "test-secrets").toAbsolutePath());
    Path f = Files.createTempFile(dir, "secret", ".txt");
    Files.writeString(f, secret + "\n");
    f.toFile().setReadable(false, false);
    f.toFile().setReadable(true, true);
    return f;
  }

  static String testClasspath() {
    return System.getProperty("java.class.path");
  }

  private static Path launcher;
  /** Test classes every member gets, whatever its classpath (with their nested classes). */
  private static final List<Class<?>> MEMBER_SIDE = List.of(TestMemberMain.class, MemberSideTasks.class);

  /**
   * A directory holding only {@link TestMemberMain} and {@link MemberSideTasks}, put first on
   * every member's classpath, so that members started without the test classes have them too.
   */
  private static synchronized Path launcherDir() throws IOException {
    if (launcher == null) {
      // Under the build directory, not /tmp: nothing to clean up after a test JVM that ends
      // abruptly (surefire halts one whose exit hangs, and then no deleteOnExit runs).
      Path dir = Files.createDirectories(Path.of("target", "test-member-main").toAbsolutePath());
      Path pkg = dir.resolve(TestMemberMain.class.getPackageName().replace('.', '/'));
      Files.createDirectories(pkg);
      for (Class<?> c : MEMBER_SIDE) {
        Path from;
        try {
          from = Path.of(c.getResource(c.getSimpleName() + ".class").toURI()).getParent();
        } catch (URISyntaxException e) {
          throw new IOException(e);
        }
        try (var files = Files.list(from)) {
          for (Path f : files.filter(f -> f.getFileName().toString().matches(Pattern.quote(c.getSimpleName()) + "(\\$.*)?\\.class"))
              .toList()) {
            Files.copy(f, pkg.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
      launcher = dir;
    }
    return launcher;
  }

  /** Waits until the member is ready, and learns the port it bound. */
  void awaitReady() {
    await().atMost(STARTUP).until(() -> {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + output());
      }
      Matcher m = READY.matcher(output());
      if (!m.find()) {
        return false;
      }
      port = Integer.parseInt(m.group(2));
      return true;
    });
  }

  /** The port the member bound, from its ready line. */
  int port() {
    if (port < 0) {
      throw new IllegalStateException(name + " is not ready yet: call awaitReady() first");
    }
    return port;
  }

  /** The member's address as the engine's gearbox.cluster.members wants it. */
  String address() {
    return "127.0.0.1:" + port();
  }

  long pid() {
    return process.pid();
  }

  String output() throws IOException {
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  /** SIGKILL: no shutdown hook, no goodbye to the cluster. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(EXIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * SIGSTOP: the member freezes with its connections open, as a machine cut off the network looks
   * to its peers (nothing answers, nothing closes). {@link #close()} still kills it.
   */
  void freeze() throws IOException, InterruptedException {
    Process stop = new ProcessBuilder("kill", "-STOP", Long.toString(process.pid())).inheritIO().start();
    if (!stop.waitFor(EXIT.toMillis(), TimeUnit.MILLISECONDS) || stop.exitValue() != 0) {
      throw new IOException("kill -STOP " + process.pid() + " failed");
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Whether the member still takes connections on its port. A member killed a moment ago can read
   * as alive to {@link #isAlive()} until the JDK has reaped its process, but its sockets closed as
   * it died: a client that finds it gone has already seen them close.
   */
  boolean acceptsConnections() {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port()), 2_000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    // SIGTERM first: the member leaves its cluster and stops its worker processes, which removes
    // their pipes. A member still there after GRACEFUL is killed; its worker processes then exit
    // by themselves, removing their pipes and directory as they see it gone, and are killed only
    // if they are still there after that.
    List<ProcessHandle> tree = process.descendants().toList();
    process.destroy();
    try {
      if (!process.waitFor(GRACEFUL.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(EXIT.toMillis(), TimeUnit.MILLISECONDS);
      }
      long deadline = System.nanoTime() + GRACEFUL.toNanos();
      for (ProcessHandle p : tree) {
        try {
          p.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
          p.destroyForcibly();
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      tree.forEach(ProcessHandle::destroyForcibly); // nothing is left alive, whatever happened above
    }
    if (ownDir != null) {
      try (var files = Files.list(ownDir)) {
        files.forEach(f -> f.toFile().delete());
        Files.deleteIfExists(ownDir);
      } catch (IOException e) {
        // best effort: a temporary directory
      }
    }
  }
}
