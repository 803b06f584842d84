package dev.gearbox.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineConfigException;
import dev.gearbox.EngineException;
import dev.gearbox.TaskFuture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * How workers are launched, and what happens when the launch cannot work. The launches that
 * follow real applications (Spring Boot jar, shaded jar, module path, exec:java) run in the
 * {@code launch-tests} module.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WorkerLaunchTest {
  private static final String MISSING_MAIN = "Could not find or load main class";

  @TempDir
  Path dir;

  @Test
  void open_whenWorkersCannotLoadTheirClasses_failsAfterOneWorkerWithItsOutputAndTheKeyThatFixesIt() {
    MetricRegistry metrics = new MetricRegistry();
    EngineConfig config = EngineConfig.newBuilder().backend("process").name("launch-fail").workers(3)
        .option("gearbox.process.classpath", dir.resolve("nothing-here.jar").toString()).metricRegistry(metrics).build();

    List<Long> before = workerChildren(); // workers other engines of this JVM left warm

    assertThatThrownBy(() -> Engine.open(config).close())
        .isInstanceOfSatisfying(EngineConfigException.class, e -> assertThat(e.key()).isEqualTo(ProcessBackendProvider.CLASSPATH))
        .hasMessageContaining("could not load its classes")
        .hasMessageContaining(MISSING_MAIN)
        .hasMessageContaining("Set gearbox.process.classpath to the application's class path");
    assertThat(metrics.counter("gearbox.launch-fail.process.workers-started").getCount()).isEqualTo(1);
    assertThat(workerChildren()).isSubsetOf(before);
  }

  @Test
  void lazyStart_whenWorkersCannotStart_theWaitingTaskFailsWithTheFix_andNoSecondWorkerStarts() throws Exception {
    MetricRegistry metrics = new MetricRegistry();
    EngineConfig config = EngineConfig.newBuilder().backend("process").name("launch-lazy").workers(3)
        .option("gearbox.process.prestart", "0")
        .option("gearbox.process.classpath", dir.resolve("nothing-here.jar").toString()).metricRegistry(metrics).build();
    try (Engine engine = Engine.open(config)) {
      TaskFuture<Integer> f = engine.submit(() -> 1);

      assertThatThrownBy(() -> f.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(EngineException.class)
          .hasMessageContaining(MISSING_MAIN)
          .hasMessageContaining("gearbox.process.classpath");
      assertThat(metrics.counter("gearbox.launch-lazy.process.workers-started").getCount()).isEqualTo(1);
    }
  }

  @Test
  void aClassPathWithoutTheWorker_isRefusedBeforeAnyWorkerStarts() {
    assertThatThrownBy(() -> WorkerLaunch.requireWorkerMain(dir.resolve("app.jar").toString(), "the test"))
        .isInstanceOfSatisfying(EngineConfigException.class, e -> assertThat(e.key()).isEqualTo(ProcessBackendProvider.CLASSPATH))
        .hasMessageContaining(WorkerMain.class.getName() + " was loaded from")
        .hasMessageContaining("from the test");
  }

  @Test
  void moduleFlags_areThoseTheWorkersMustShare_andStopAtTheMainModule() {
    List<String> args = List.of("-Xmx1g", "--add-opens", "java.base/java.lang=app", "-p", "mods", "--add-modules=java.sql",
        "--enable-native-access", "app", "-Dx=y", "-m", "app/app.Main", "--add-reads", "not=ours");

    assertThat(WorkerLaunch.moduleFlags(args))
        .containsExactly("--add-opens=java.base/java.lang=app", "--add-modules=java.sql", "--enable-native-access=app");
  }

  @Test
  void bootJar_isExtractedOncePerContent_classesFirst_librariesInTheIndexOrder() throws Exception {
    Path jar = bootJar("one");
    BootJar boot = BootJar.of(jar).orElseThrow();
    Path cache = dir.resolve("cache");

    List<Path> cp = boot.extract(cache);
    assertThat(cp).extracting(p -> cache.relativize(p).toString().replaceFirst("^boot-[0-9a-f]+/", ""))
        .containsExactly("classes.jar", "lib/z.jar", "lib/a.jar");
    try (JarFile classes = new JarFile(cp.get(0).toFile())) {
      assertThat(classes.getEntry("app/Task.class")).isNotNull();
      assertThat(classes.getEntry("application.properties")).isNotNull();
    }
    assertThat(boot.extract(cache)).isEqualTo(cp);

    // Rebuilt with the same size and time stamp (a reproducible build): another extraction.
    FileTime time = Files.getLastModifiedTime(jar);
    Path rebuilt = bootJar("two");
    Files.setLastModifiedTime(rebuilt, time);
    assertThat(Files.size(rebuilt)).isEqualTo(Files.size(jar));
    assertThat(BootJar.of(rebuilt).orElseThrow().extract(cache).get(0)).isNotEqualTo(cp.get(0));
  }

  @Test
  void aPlainJar_isNotABootJar() throws Exception {
    Path jar = dir.resolve("plain.jar");
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "app.Main");
    new JarOutputStream(Files.newOutputStream(jar), m).close();

    assertThat(BootJar.of(jar)).isEmpty();
  }

  /** A jar laid out as Spring Boot's plugin lays it out, whose content differs by {@code tag} (same length). */
  private Path bootJar(String tag) throws IOException {
    Path jar = dir.resolve("app-" + tag + ".jar");
    Manifest m = new Manifest();
    Attributes a = m.getMainAttributes();
    a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
    a.put(Attributes.Name.MAIN_CLASS, "org.springframework.boot.loader.launch.JarLauncher");
    a.putValue("Start-Class", "app.Main");
    a.putValue("Spring-Boot-Classes", "BOOT-INF/classes/");
    a.putValue("Spring-Boot-Lib", "BOOT-INF/lib/");
    a.putValue("Spring-Boot-Classpath-Index", "BOOT-INF/classpath.idx");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m)) {
      entry(out, "BOOT-INF/classes/app/Task.class", tag);
      entry(out, "BOOT-INF/classes/application.properties", "name=" + tag);
      entry(out, "BOOT-INF/lib/a.jar", "a");
      entry(out, "BOOT-INF/lib/z.jar", "z");
      entry(out, "BOOT-INF/classpath.idx", "- \"BOOT-INF/lib/z.jar\"\n- \"BOOT-INF/lib/a.jar\"\n");
    }
    return jar;
  }

  private static void entry(JarOutputStream out, String name, String content) throws IOException {
    JarEntry e = new JarEntry(name);
    e.setTime(0);
    out.putNextEntry(e);
    out.write(content.getBytes(StandardCharsets.UTF_8));
    out.closeEntry();
  }

  private static List<Long> workerChildren() {
    return ProcessHandle.current().children()
        .filter(p -> p.info().commandLine().orElse("").contains(WorkerMain.class.getName())).map(ProcessHandle::pid).toList();
  }
}
