package dev.gearbox.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The process level inside applications launched the ways users launch them. Each test runs one
 * packaged application in a JVM of its own ({@code LaunchCheck} or the Spring Boot application),
 * which submits tasks to {@code process} (and the in-process levels) and checks the results; the
 * test checks its exit code and its {@code launch-check} lines. {@code mvn exec:java} ran earlier in
 * this build (pre-integration-test), inside Maven's own JVM; its test reads what it wrote.
 *
 * <p>Every application gets a cache directory of its own ({@code XDG_CACHE_HOME}), so the Spring
 * Boot extraction and the AOT cache start empty, as on a new machine. An application that outlives
 * its timeout is killed with everything it started.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class LaunchIT {
  private static final long RUN_TIMEOUT_SECONDS = 120;
  private static final String JAVA = ProcessHandle.current().info().command().orElseThrow();

  @Test
  void springBootExecutableJar_runsItsOwnClassesAndItsLibrariesOnProcessWorkers() throws Exception {
    List<String> out = run("boot", JAVA, "-jar", property("gearbox.launch.boot-jar"), "process");

    assertThat(out).anyMatch(l -> l.startsWith("launch-check boot-classes ok hello from boot in pid "))
        .contains("launch-check backend=process ok sum=338350 order=42 in-another-process=true");
    try (Stream<Path> extracted = Files.list(cacheHome("boot").resolve("gearbox/boot"))) {
      assertThat(extracted).as("the jar's extraction").anyMatch(p -> p.getFileName().toString().startsWith("boot-"));
    }
  }

  @Test
  void springBootExecutableJar_whereNothingCanBeWritten_startsWorkersThroughBootsLauncher() throws Exception {
    Path notADirectory = Files.writeString(target().resolve("not-a-directory"), "");
    List<String> out = runIn(notADirectory.resolve("cache"), "boot-unwritable", JAVA, "-jar",
        property("gearbox.launch.boot-jar"), "process");

    assertThat(out).anyMatch(l -> l.startsWith("launch-check boot-classes ok hello from boot in pid "))
        .contains("launch-check backend=process ok sum=338350 order=42 in-another-process=true");
  }

  @Test
  void shadedJar_runsTasksOnProcessWorkers() throws Exception {
    List<String> out = run("shaded", JAVA, "-jar", property("gearbox.launch.shaded-jar"), "process,thread");

    assertThat(out).contains("launch-check backend=process ok sum=338350 order=42 in-another-process=true",
        "launch-check backend=thread ok sum=338350 order=42 in-another-process=false");
  }

  @Test
  void modulePath_requiresDevGearboxOnly_noAddModules_everyLevelRuns() throws Exception {
    List<String> out = run("module-path", JAVA, "--module-path", property("gearbox.launch.app-jars"),
        "-m", "dev.gearbox.sample/dev.gearbox.sample.LaunchCheck", "thread,async,process,cluster");

    assertThat(out).contains("launch-check backend=thread ok sum=338350 order=42 in-another-process=false",
        "launch-check backend=async ok sum=338350 order=42 in-another-process=false",
        "launch-check backend=process ok sum=338350 order=42 in-another-process=true",
        "launch-check backend=cluster ok sum=338350 order=42 in-another-process=false");
  }

  @Test
  void plainClassPath_keepsWorking() throws Exception {
    List<String> out = run("class-path", JAVA, "-cp", property("gearbox.launch.app-jars") + File.separator + "*",
        "dev.gearbox.sample.LaunchCheck", "process");

    assertThat(out).contains("launch-check backend=process ok sum=338350 order=42 in-another-process=true");
  }

  @Test
  void mvnExecJava_workersGetTheApplicationsClassPath_notMavens() throws Exception {
    assertThat(Files.readAllLines(Path.of(property("gearbox.launch.exec-java-out"))))
        .containsExactly("launch-check backend=process ok sum=338350 order=42 in-another-process=true",
            "launch-check backend=thread ok sum=338350 order=42 in-another-process=false");
  }

  /** Runs an application to its end with a cache directory of its own; returns its output lines after checking that it exited 0. */
  private static List<String> run(String name, String... command) throws IOException, InterruptedException {
    return runIn(Files.createDirectories(cacheHome(name)), name, command);
  }

  private static List<String> runIn(Path cacheHome, String name, String... command) throws IOException, InterruptedException {
    Path log = target().resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("XDG_CACHE_HOME", cacheHome.toString());
    Process p = pb.start();
    boolean ended;
    try {
      ended = p.waitFor(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } finally {
      if (p.isAlive()) {
        try (Stream<ProcessHandle> all = p.descendants()) {
          all.forEach(ProcessHandle::destroyForcibly);
        }
        p.destroyForcibly();
      }
    }
    List<String> out = new ArrayList<>(Files.readAllLines(log));
    assertThat(ended).as("%s ended within %d s; output:%n%s", name, RUN_TIMEOUT_SECONDS, String.join("\n", out)).isTrue();
    assertThat(p.exitValue()).as("%s's exit code; output:%n%s", name, String.join("\n", out)).isZero();
    return out;
  }

  private static Path target() {
    return Path.of(property("gearbox.launch.app-jars")).getParent();
  }

  private static Path cacheHome(String name) {
    return target().resolve("cache-" + name);
  }

  private static String property(String key) {
    String value = System.getProperty(key);
    assertThat(value).as("system property %s (set by the module's pom)", key).isNotBlank();
    return value;
  }
}
