package dev.gearbox.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Worker start-up from the JDK's AOT cache: when it applies, when it stays off (and says why),
 * and, with real worker JVMs on an all-JAR classpath, that the first worker trains the cache and
 * later workers start from it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AotCacheTest {
  private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

  @TempDir
  Path dir;

  @Test
  void aJarsManifestClassPath_isReadAgain_whenTheJarChanges() throws IOException {
    Path jar = dir.resolve("app.jar");
    writeManifestOnly(jar, "a.jar");
    assertThat(AotCache.manifestClassPath(jar)).containsExactly(dir.resolve("a.jar"));
    assertThat(AotCache.manifestClassPath(jar)).as("read again, unchanged").containsExactly(dir.resolve("a.jar"));
    writeManifestOnly(jar, "lib/b.jar lib/c.jar");
    Files.setLastModifiedTime(jar, FileTime.from(Instant.now().plusSeconds(5)));
    assertThat(AotCache.manifestClassPath(jar)).containsExactly(dir.resolve("lib/b.jar"), dir.resolve("lib/c.jar"));
  }

  private static void writeManifestOnly(Path jar, String classPath) throws IOException {
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m)) {
      out.putNextEntry(new JarEntry("x.txt"));
      out.write(1);
    }
  }

  @Test
  void off_whenAskedOrWhenTheClasspathHasADirectory() throws IOException {
    assertThat(AotCache.of("off", JAVA, "", List.of()).enabled()).isFalse();
    Path classes = Files.createDirectories(dir.resolve("classes"));
    AotCache withDir = AotCache.of(dir.resolve("cache").toString(), JAVA, classes.toString(), List.of());
    assertThat(withDir.enabled()).isFalse();
    assertThat(withDir.why()).contains(classes.toString()).contains("JAR");
    assertThat(withDir.nextLaunch().flags()).isEmpty();
  }

  @Test
  void off_whenAManifestClassPathNamesADirectory() throws IOException {
    assumeTrue(Runtime.version().feature() >= 25, "the AOT cache needs JDK 25");
    Path classes = Files.createDirectories(dir.resolve("classes"));
    Path booter = dir.resolve("booter.jar");
    Manifest m = new Manifest();
    m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    m.getMainAttributes().put(Attributes.Name.CLASS_PATH, classes.toUri().toString());
    try (OutputStream out = Files.newOutputStream(booter); JarOutputStream j = new JarOutputStream(out, m)) {
      j.flush();
    }
    AotCache c = AotCache.of(dir.resolve("cache").toString(), JAVA, booter.toString(), List.of());
    assertThat(c.enabled()).isFalse();
    assertThat(c.why()).contains("classes");
  }

  @Test
  void off_whenTheUserChoseAnArchive() throws IOException {
    assumeTrue(Runtime.version().feature() >= 25, "the AOT cache needs JDK 25");
    AotCache c = AotCache.of(dir.toString(), JAVA, jarClasspath(), List.of("-Xshare:off"));
    assertThat(c.enabled()).isFalse();
    assertThat(c.why()).contains("-Xshare:off");
  }

  @Test
  void key_changesWithTheFlags() throws IOException {
    assumeTrue(Runtime.version().feature() >= 25, "the AOT cache needs JDK 25");
    String cp = jarClasspath();
    Path a = AotCache.of(dir.toString(), JAVA, cp, List.of("-Xmx64m")).file();
    Path b = AotCache.of(dir.toString(), JAVA, cp, List.of("-Xmx128m")).file();
    assertThat(a).isNotNull().isNotEqualTo(b);
    assertThat(AotCache.of(dir.toString(), JAVA, cp, List.of("-Xmx64m")).file()).isEqualTo(a);
  }

  @Test
  void prune_keepsTheRecentCaches_andDropsOldOnesAndTheSurplus() throws Exception {
    Path caches = Files.createDirectories(dir.resolve("prune"));
    Path current = Files.writeString(caches.resolve("worker-current.aot"), "x");
    Instant now = Instant.now();
    List<Path> recent = new ArrayList<>();
    for (int i = 0; i < 3; i++) { // used within the hour: never deleted
      recent.add(cacheUsedAt(caches, "recent" + i, now.minus(Duration.ofMinutes(i))));
    }
    List<Path> days = new ArrayList<>();
    for (int i = 0; i < 6; i++) { // used 1..6 days ago: with current and the recent ones, 4 fit in KEEP = 8
      days.add(cacheUsedAt(caches, "day" + i, now.minus(Duration.ofDays(1 + i))));
    }
    Path stale = cacheUsedAt(caches, "stale", now.minus(AotCache.UNUSED).minus(Duration.ofDays(1)));
    Path unrelated = Files.writeString(caches.resolve("notes.txt"), "not a cache");

    AotCache.prune(current);

    assertThat(current).exists();
    assertThat(unrelated).exists();
    assertThat(recent).allMatch(Files::exists);
    assertThat(days.subList(0, 4)).allMatch(Files::exists);
    assertThat(days.subList(4, 6)).noneMatch(Files::exists);
    assertThat(stale).doesNotExist();
  }

  private static Path cacheUsedAt(Path dir, String key, Instant used) throws IOException {
    Path p = Files.writeString(dir.resolve("worker-" + key + ".aot"), key);
    Files.setLastModifiedTime(p, FileTime.from(used));
    return p;
  }

  @Test
  void firstWorkerTrainsTheCache_laterWorkersStartFromIt() throws Exception {
    assumeTrue(Runtime.version().feature() >= 25, "the AOT cache needs JDK 25");
    String cp = jarClasspath();
    Path cacheDir = dir.resolve("aot");
    EngineConfig config = EngineConfig.newBuilder().backend("process").workers(1)
        .option("gearbox.process.classpath", cp)
        .option("gearbox.process.aot-cache", cacheDir.toString())
        .option("gearbox.process.keep-warm", "0") // the second engine's worker must start, from the cache
        .build();

    try (Engine first = Engine.open(config)) {
      List<String> args = first.submit(AotCacheTest::jvmArguments).get(60, TimeUnit.SECONDS);
      assertThat(args).anyMatch(a -> a.startsWith("-XX:AOTCacheOutput="));
    }
    // The cache is written when the training worker exits, which close() waits for.
    List<Path> caches;
    try (Stream<Path> files = Files.list(cacheDir)) {
      caches = files.toList();
    }
    assertThat(caches).as("the cache directory holds exactly the finished cache").hasSize(1);
    assertThat(caches.get(0).getFileName().toString()).endsWith(".aot");
    assertThat(Files.size(caches.get(0))).isPositive();

    try (Engine second = Engine.open(config)) {
      List<String> args = second.submit(AotCacheTest::jvmArguments).get(60, TimeUnit.SECONDS);
      assertThat(args).contains("-XX:AOTCache=" + caches.get(0));
      assertThat(second.submit(() -> 6 * 7).get(60, TimeUnit.SECONDS)).isEqualTo(42);
    }
  }

  static ArrayList<String> jvmArguments() {
    return new ArrayList<>(ManagementFactory.getRuntimeMXBean().getInputArguments());
  }

  /**
   * This test's classpath with every directory packed into a JAR (and Surefire's manifest-only
   * booter JAR expanded), as an application deployed from JARs would have it.
   */
  private String jarClasspath() throws IOException {
    List<Path> entries = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path p = Path.of(e);
      if (p.getFileName().toString().startsWith("surefire")) {
        try (JarFile j = new JarFile(p.toFile())) {
          String cp = j.getManifest().getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
          for (String u : cp.trim().split("\\s+")) {
            entries.add(Path.of(p.toUri().resolve(u)));
          }
        }
      } else {
        entries.add(p);
      }
    }
    Path jars = Files.createDirectories(dir.resolve("jars"));
    List<String> out = new ArrayList<>();
    int n = 0;
    for (Path p : entries) {
      if (Files.isDirectory(p)) {
        Path jar = jars.resolve("dir-" + (n++) + ".jar");
        try (JarOutputStream j = new JarOutputStream(Files.newOutputStream(jar));
            Stream<Path> files = Files.walk(p)) {
          for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
            j.putNextEntry(new JarEntry(p.relativize(f).toString().replace(File.separatorChar, '/')));
            Files.copy(f, j);
            j.closeEntry();
          }
        }
        out.add(jar.toString());
      } else if (Files.isRegularFile(p)) {
        out.add(p.toString());
      }
    }
    return String.join(File.pathSeparator, out);
  }
}
