package dev.gearbox.cluster;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link WorkerMember} in a child JVM on loopback, started with this JVM's java and (by default)
 * classpath, its output in a log file. Always {@link #close() closed} by the test that started it.
 */
final class MemberJvm implements AutoCloseable {
  /** How long a member JVM may take to start and join (cold JVM, Hazelcast classes). */
  static final Duration STARTUP = Duration.ofSeconds(60);

  final String name;
  final int port;
  final Path log;
  private final Process process;

  private MemberJvm(String name, int port, Path log, Process process) {
    this.name = name;
    this.port = port;
    this.log = log;
    this.process = process;
  }

  /** A free TCP port on loopback (the member binds it a moment later; nothing else here picks ports at random). */
  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static MemberJvm start(Path dir, String name, int port, String classpath, String... options) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add("-Xmx256m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    String flags = System.getProperty("gearbox.test.member.flags", "").trim();
    if (!flags.isEmpty()) {
      cmd.addAll(Arrays.asList(flags.split("\\s+")));
    }
    cmd.add(WorkerMember.class.getName());
    cmd.add("--member-name=" + name);
    cmd.add("--port=" + port);
    cmd.addAll(Arrays.asList(options));
    Path log = dir.resolve(name + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new MemberJvm(name, port, log, p);
  }

  static String testClasspath() {
    return System.getProperty("java.class.path");
  }

  void awaitReady() {
    await().atMost(STARTUP).until(() -> {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + output());
      }
      return output().contains("gearbox worker member ready");
    });
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
    process.waitFor(10, TimeUnit.SECONDS);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
