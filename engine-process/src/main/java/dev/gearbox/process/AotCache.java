package dev.gearbox.process;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * Faster worker start-up with the JDK's ahead-of-time cache (JEP 483/514/515, JDK 25+): the
 * first worker of a given JVM, classpath and flags records which classes it loads and links
 * ({@code -XX:AOTCacheOutput}); the JVM writes the cache when that worker exits normally, and
 * every later worker (of this engine and of later runs) starts from it ({@code -XX:AOTCache}).
 *
 * <p>The cache lives in one file per key (a hash of the java home and version, the JVM flags, and
 * each classpath JAR's path, size and modification time), so a rebuilt JAR or another flag gets
 * a new cache instead of a stale one. Training writes to a temporary file that is renamed into
 * place only after the worker exited with code 0, so readers never see a partial cache; a lock
 * file keeps concurrent engines from training the same key twice.
 *
 * <p>It applies only where it can work: workers on this JVM's own launcher of JDK 25 or later,
 * and a classpath made of JAR files only (the JDK cannot cache classes from directories such as
 * {@code target/classes}). Otherwise it stays off and says why ({@link #why()}).
 */
final class AotCache {
  /** A training lock older than this belongs to a run that died; it is taken over. */
  private static final Duration STALE = Duration.ofMinutes(10);
  /** Caches of other keys (older builds, other flags) unused this long are deleted. */
  static final Duration UNUSED = Duration.ofDays(7);
  /** At most this many caches stay in the directory (each is ~15 MB); the least recently used go. */
  static final int KEEP = 8;
  /** A cache used this recently is never deleted (a worker may be starting from it). */
  private static final Duration IN_USE = Duration.ofHours(1);

  /** How one worker is launched: extra JVM flags, and the file it trains into, if any. */
  record Launch(List<String> flags, Path training) {
    static final Launch PLAIN = new Launch(List.of(), null);
  }

  private final Path cache;
  private final Path lock;
  private final String why;
  private final AtomicInteger trainings = new AtomicInteger();
  private volatile boolean training;
  /** When this engine last marked the cache as used (nanoTime), 0 for never. */
  private long touchedNanos;

  private AotCache(Path cache, String why) {
    this.cache = cache;
    this.lock = cache == null ? null : cache.resolveSibling(cache.getFileName() + ".lock");
    this.why = why;
  }

  static AotCache off(String why) {
    return new AotCache(null, why);
  }

  /**
   * @param setting  {@code auto}, {@code off}, or a directory for the cache files
   * @param java     the worker launcher
   * @param classpath the workers' classpath
   * @param flags    every JVM flag the workers get (they are part of the key)
   */
  static AotCache of(String setting, String java, String classpath, List<String> flags) {
    String s = setting == null ? "auto" : setting.trim();
    if (s.equalsIgnoreCase("off") || s.equalsIgnoreCase("false")) {
      return off("gearbox.process.aot-cache=off");
    }
    if (Runtime.version().feature() < 25) {
      return off("the AOT cache needs JDK 25 or later; this is " + Runtime.version());
    }
    Path self = Path.of(System.getProperty("java.home"), "bin", "java");
    try {
      if (!Files.isSameFile(Path.of(java), self)) {
        return off("workers run another java (" + java + ") than this JVM's");
      }
    } catch (IOException e) {
      return off("cannot compare the worker launcher with this JVM's: " + e.getMessage());
    }
    for (String f : flags) {
      if (f.startsWith("-XX:AOT") || f.startsWith("-XX:SharedArchiveFile") || f.startsWith("-Xshare")
          || f.startsWith("-XX:ArchiveClassesAtExit")) {
        return off("the JVM options already choose a class-data archive (" + f + ")");
      }
    }
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      return off("no SHA-256");
    }
    update(sha, System.getProperty("java.home"));
    update(sha, Runtime.version().toString());
    flags.forEach(f -> update(sha, f));
    List<Path> jars = new ArrayList<>();
    for (String entry : classpath.split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        jars.add(Path.of(entry));
      }
    }
    // A JAR's manifest may extend the classpath (java -jar app.jar, or Surefire's booter JAR):
    // those entries must be JARs too.
    for (int i = 0; i < jars.size(); i++) {
      Path p = jars.get(i).toAbsolutePath().normalize();
      if (!Files.isRegularFile(p) || !p.toString().toLowerCase(Locale.ROOT).endsWith(".jar")) {
        return off("the classpath has " + p + ", which is not a JAR file; the JDK caches classes from JARs only");
      }
      try {
        update(sha, p.toString());
        update(sha, Files.size(p) + ":" + Files.getLastModifiedTime(p).toMillis());
        if (i < 10_000) {
          jars.addAll(manifestClassPath(p));
        }
      } catch (IOException | RuntimeException e) {
        return off("cannot read " + p + ": " + e.getMessage());
      }
    }
    Path dir = s.equalsIgnoreCase("auto") ? defaultDirectory() : Path.of(s);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      return off("cannot create the cache directory " + dir + ": " + e);
    }
    String key = HexFormat.of().formatHex(sha.digest(), 0, 12);
    return new AotCache(dir.resolve("worker-" + key + ".aot"), null);
  }

  /** A JAR as its manifest was read: its path, size and modification time. */
  private record JarStamp(Path jar, long size, long modified) {}

  /**
   * The manifests' class paths read in this JVM, by JAR as it was then (an open reads them up to
   * three times, and a large JAR's central directory takes milliseconds to open). Bounded.
   */
  private static final java.util.concurrent.ConcurrentHashMap<JarStamp, List<Path>> MANIFEST_CLASS_PATHS =
      new java.util.concurrent.ConcurrentHashMap<>();
  private static final int MANIFESTS_KEPT = 256;

  /**
   * The entries a JAR's manifest adds to the classpath ({@code Class-Path}, relative to the JAR).
   * Read once per JAR, size and modification time in this JVM. Thread-safe.
   */
  static List<Path> manifestClassPath(Path jar) throws IOException {
    java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(jar, java.nio.file.attribute.BasicFileAttributes.class);
    JarStamp stamp = new JarStamp(jar.toAbsolutePath().normalize(), a.size(), a.lastModifiedTime().toMillis());
    List<Path> known = MANIFEST_CLASS_PATHS.get(stamp);
    if (known != null) {
      return known;
    }
    List<Path> read = readManifestClassPath(jar);
    if (MANIFEST_CLASS_PATHS.size() < MANIFESTS_KEPT) {
      MANIFEST_CLASS_PATHS.put(stamp, read);
    }
    return read;
  }

  private static List<Path> readManifestClassPath(Path jar) throws IOException {
    try (JarFile j = new JarFile(jar.toFile(), false)) {
      Manifest m = j.getManifest();
      String cp = m == null ? null : m.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
      if (cp == null || cp.isBlank()) {
        return List.of();
      }
      List<Path> entries = new ArrayList<>();
      URI base = jar.toUri();
      for (String e : cp.trim().split("\\s+")) {
        URI u = base.resolve(e);
        entries.add("file".equals(u.getScheme()) ? Path.of(u) : Path.of(e));
      }
      return List.copyOf(entries);
    }
  }

  /** {@code $XDG_CACHE_HOME/gearbox/aot}, else {@code ~/.cache/gearbox/aot}. */
  static Path defaultDirectory() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("gearbox").resolve("aot");
  }

  private static void update(MessageDigest sha, String s) {
    sha.update(s.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
  }

  /** Whether workers use or build a cache; if not, {@link #why()} says why. */
  boolean enabled() {
    return cache != null;
  }

  String why() {
    return why;
  }

  /** Whether the cache exists: a worker of this launch (java, flags, jars) started and exited normally once. */
  boolean cached() {
    return cache != null && Files.isRegularFile(cache);
  }

  Path file() {
    return cache;
  }

  /** The flags for the next worker: start from the cache, or train it, or neither. */
  synchronized Launch nextLaunch() {
    if (cache == null) {
      return Launch.PLAIN;
    }
    if (Files.isRegularFile(cache)) {
      long now = System.nanoTime();
      if (touchedNanos == 0 || now - touchedNanos > IN_USE.toNanos() / 2) {
        touchedNanos = now;
        touch(cache); // its modification time is when it was last used: pruning keeps the recent ones
      }
      return new Launch(List.of("-XX:AOTCache=" + cache), null);
    }
    if (training || !takeLock()) {
      return Launch.PLAIN;
    }
    training = true;
    Path tmp = cache.resolveSibling(cache.getFileName() + "." + ProcessHandle.current().pid() + "-"
        + trainings.incrementAndGet() + ".tmp");
    List<String> flags = new ArrayList<>();
    flags.add("-XX:AOTCacheOutput=" + tmp);
    return new Launch(flags, tmp);
  }

  /** A worker launched with {@code launch} has exited: keeps a complete cache, drops a partial one. */
  void exited(Launch launch, int exitCode) {
    if (launch == null || launch.training() == null) {
      return;
    }
    Path tmp = launch.training();
    try {
      if (exitCode == 0 && Files.isRegularFile(tmp) && Files.size(tmp) > 0) {
        try {
          Files.move(tmp, cache, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(tmp, cache, StandardCopyOption.REPLACE_EXISTING);
        }
        prune(cache);
      }
    } catch (IOException e) {
      // Without a cache, workers start as they would have anyway.
    } finally {
      deleteQuietly(tmp);
      deleteQuietly(tmp.resolveSibling(tmp.getFileName() + ".config"));
      deleteQuietly(lock);
      synchronized (this) {
        training = false;
      }
    }
  }

  private boolean takeLock() {
    try {
      Files.createFile(lock);
      return true;
    } catch (FileAlreadyExistsException e) {
      try {
        FileTime t = Files.getLastModifiedTime(lock);
        if (t.toInstant().isBefore(Instant.now().minus(STALE))) {
          Files.deleteIfExists(lock);
          cleanStale();
          Files.createFile(lock);
          return true;
        }
      } catch (IOException ignored) {
        // another engine is training, or the directory is not ours to write: no cache this time
      }
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Every rebuilt JAR or changed flag makes a new cache, so the directory would only grow: keeps
   * {@code current} and at most {@link #KEEP} caches in all, dropping the least recently used
   * first and any unused for {@link #UNUSED}, but never one used within the last hour.
   */
  static void prune(Path current) {
    prune(current, "worker-", ".aot");
  }

  /** The same for any cache of entries named {@code prefix...suffix} (files or directories) beside {@code current}. */
  static void prune(Path current, String prefix, String suffix) {
    List<Path> others;
    try (Stream<Path> files = Files.list(current.getParent())) {
      others = new ArrayList<>(files.filter(p -> !p.equals(current))
          .filter(p -> p.getFileName().toString().startsWith(prefix) && p.getFileName().toString().endsWith(suffix)
              && !p.getFileName().toString().contains(".tmp"))
          .toList());
    } catch (IOException | RuntimeException e) {
      return; // best effort (a listing can also fail while it is iterated)
    }
    java.util.Map<Path, Instant> used = new java.util.HashMap<>();
    for (Path p : others) {
      try {
        used.put(p, Files.getLastModifiedTime(p).toInstant());
      } catch (IOException e) {
        used.put(p, Instant.now()); // gone or unreadable: leave it
      }
    }
    others.sort(java.util.Comparator.comparing(used::get).reversed()); // most recently used first
    Instant now = Instant.now();
    for (int i = 0; i < others.size(); i++) {
      Instant last = used.get(others.get(i));
      boolean surplus = i + 1 >= KEEP; // current counts as one
      if ((surplus || last.isBefore(now.minus(UNUSED))) && last.isBefore(now.minus(IN_USE))) {
        deleteQuietly(others.get(i));
      }
    }
  }

  static void touch(Path p) {
    try {
      Files.setLastModifiedTime(p, FileTime.from(Instant.now()));
    } catch (IOException ignored) {
      // best effort: a read-only cache still works
    }
  }

  /** Temporary files of trainings that died (killed workers leave them). */
  private void cleanStale() {
    String prefix = cache.getFileName() + ".";
    try (Stream<Path> files = Files.list(cache.getParent())) {
      files.filter(p -> p.getFileName().toString().startsWith(prefix) && p.getFileName().toString().contains(".tmp"))
          .forEach(AotCache::deleteQuietly);
    } catch (IOException ignored) {
      // best effort
    }
  }

  /** Deletes a file, or a directory with everything in it; best effort. */
  static void deleteQuietly(Path p) {
    if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> inside = Files.walk(p)) {
        for (Path q : inside.sorted(java.util.Comparator.reverseOrder()).toList()) { // children first
          Files.deleteIfExists(q);
        }
      } catch (IOException | RuntimeException ignored) {
        // best effort
      }
      return;
    }
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // best effort
    }
  }
}
