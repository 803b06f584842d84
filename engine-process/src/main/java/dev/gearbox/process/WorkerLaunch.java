package dev.gearbox.process;

import dev.gearbox.EngineConfigException;
import java.io.File;
import java.io.IOException;
import java.lang.module.ResolvedModule;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How worker JVMs are started so that they load the same classes as the application: decided once
 * per engine, at open, from how this JVM itself was launched.
 *
 * <ol>
 *   <li>{@code gearbox.process.classpath} set: exactly that class path.
 *   <li>Gearbox is a named module of the boot layer (the application runs on the module path):
 *       the same modules on {@code --module-path}, all resolved ({@code --add-modules
 *       ALL-MODULE-PATH}), the application's own {@code --add-modules}, {@code --add-opens},
 *       {@code --add-exports}, {@code --add-reads}, {@code --patch-module} and
 *       {@code --enable-native-access} flags, and its class path; the worker starts at
 *       {@code -m dev.gearbox.process/dev.gearbox.process.WorkerMain}.
 *   <li>A Spring Boot executable jar ({@code java -jar app.jar}): the jar extracted once into a
 *       cache ({@link BootJar}); if nothing can be written there, Boot's own
 *       {@code PropertiesLauncher} starts the worker from the jar.
 *   <li>The application's classes come from a {@link URLClassLoader} ({@code mvn exec:java}, IDE
 *       and plugin runners, servlet containers): that loader's and its parents' file URLs, then
 *       {@code java.class.path}.
 *   <li>Otherwise {@code java.class.path}.
 * </ol>
 *
 * <p>A class path found by the last three must hold the jar or directory that {@link WorkerMain}
 * was loaded from; if it does not, the launch cannot work and {@link #detect} fails before any
 * worker starts, naming {@code gearbox.process.classpath}. Immutable.
 */
final class WorkerLaunch {
  private static final String WORKER_MODULE = "dev.gearbox.process";
  /** Module-system flags that take a value and that workers must share with the application. */
  private static final Set<String> MODULE_FLAGS = Set.of("--add-modules", "--add-opens", "--add-exports", "--add-reads",
      "--patch-module", "--enable-native-access");
  /** Launcher options that take a separate value (skipped when the application's flags are read). */
  private static final Set<String> WITH_VALUE = Set.of("-cp", "-classpath", "--class-path", "-p", "--module-path",
      "--upgrade-module-path", "--limit-modules", "--source");

  private final List<String> options;
  private final List<String> entry;
  private final String classpath;
  private final String source;

  private WorkerLaunch(List<String> options, List<String> entry, String classpath, String source) {
    this.options = List.copyOf(options);
    this.entry = List.copyOf(entry);
    this.classpath = classpath;
    this.source = source;
  }

  /** What comes before the JVM flags: {@code -cp ...}, or the module path and its flags. */
  List<String> options() {
    return options;
  }

  /** The main class (or {@code -m module/class}) the worker starts at. */
  List<String> entry() {
    return entry;
  }

  /** The workers' class path, for the AOT cache key; null where the cache cannot apply (module path, Boot launcher). */
  String aotClasspath() {
    return classpath;
  }

  /** Where the launch came from, for messages: "java.class.path", "the module path", "the Spring Boot jar ...". */
  String source() {
    return source;
  }

  /** Launcher options whose value is a list of class-path or module-path entries. */
  private static final Set<String> PATH_OPTIONS = Set.of("-cp", "-classpath", "--class-path", "-p", "--module-path",
      "--upgrade-module-path");

  /**
   * What the classes the workers load look like now: for each class-path and module-path entry
   * (and each entry a JAR's manifest {@code Class-Path} adds), a JAR's size and modification time,
   * a directory's number of files, their total size and the newest modification time among them.
   * Two launches with the same paths but another fingerprint load other code (the application was
   * rebuilt). Walks every directory entry: call it rarely (when workers are kept warm or taken).
   */
  String fingerprint() {
    List<Path> entries = new ArrayList<>();
    for (int i = 0; i + 1 < options.size(); i++) {
      if (PATH_OPTIONS.contains(options.get(i))) {
        for (String e : options.get(i + 1).split(File.pathSeparator)) {
          if (!e.isEmpty()) {
            entries.add(Path.of(e));
          }
        }
      }
    }
    StringBuilder fp = new StringBuilder();
    for (int i = 0; i < entries.size(); i++) {
      Path p = entries.get(i).toAbsolutePath().normalize();
      fp.append(p).append('=');
      try {
        if (Files.isDirectory(p)) {
          long[] files = new long[3]; // count, total size, newest mtime
          try (var walk = Files.walk(p)) {
            walk.filter(Files::isRegularFile).forEach(f -> {
              try {
                files[0]++;
                files[1] += Files.size(f);
                files[2] = Math.max(files[2], Files.getLastModifiedTime(f).toMillis());
              } catch (IOException e) {
                files[2] = -1; // changing under us: a fingerprint that matches nothing later
              }
            });
          }
          fp.append(files[0]).append(':').append(files[1]).append(':').append(files[2]);
        } else if (Files.isRegularFile(p)) {
          fp.append(Files.size(p)).append(':').append(Files.getLastModifiedTime(p).toMillis());
          if (i < 10_000 && p.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".jar")) {
            entries.addAll(AotCache.manifestClassPath(p));
          }
        } else {
          fp.append("absent");
        }
      } catch (IOException | RuntimeException e) {
        fp.append("unreadable ").append(System.nanoTime()); // matches no other fingerprint
      }
      fp.append('\u0000');
    }
    return fp.toString();
  }

  @Override
  public String toString() {
    return String.join(" ", options) + " ... " + String.join(" ", entry);
  }

  /** A plain class path, as given. */
  static WorkerLaunch classpath(String classpath, String source) {
    return new WorkerLaunch(List.of("-cp", classpath), List.of(WorkerMain.class.getName()), classpath, source);
  }

  /**
   * The launch that follows this JVM's own (see the class comment).
   *
   * @param configured  {@code gearbox.process.classpath}, if set
   * @param cacheDir    where a Spring Boot jar is extracted
   * @throws EngineConfigException naming {@code gearbox.process.classpath} when no launch can load the worker
   */
  static WorkerLaunch detect(Optional<String> configured, Path cacheDir) {
    if (configured.isPresent()) {
      return classpath(configured.get(), ProcessBackendProvider.CLASSPATH);
    }
    Module module = WorkerMain.class.getModule();
    if (module.isNamed() && ModuleLayer.boot().findModule(WORKER_MODULE).orElse(null) == module) {
      return modulePath();
    }
    Optional<BootJar> boot = BootJar.ofThisJvm();
    if (boot.isPresent()) {
      return springBoot(boot.get(), cacheDir);
    }
    List<String> entries = new ArrayList<>();
    String loader = loaderClasspath(entries);
    String source = "java.class.path";
    if (loader != null) {
      source = "the class path of the application's class loader (" + loader + ") and java.class.path";
    }
    for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
      if (!e.isEmpty() && !entries.contains(e)) {
        entries.add(e);
      }
    }
    String cp = String.join(File.pathSeparator, entries);
    requireWorkerMain(cp, source);
    return classpath(cp, source);
  }

  // ---------------------------------------------------------------- module path

  private static WorkerLaunch modulePath() {
    List<String> modules = new ArrayList<>();
    for (ResolvedModule m : ModuleLayer.boot().configuration().modules()) {
      m.reference().location().filter(u -> "file".equals(u.getScheme())).ifPresent(u -> modules.add(Path.of(u).toString()));
    }
    List<String> options = new ArrayList<>(List.of("--module-path", String.join(File.pathSeparator, modules)));
    String cp = System.getProperty("java.class.path", "");
    if (!cp.isEmpty()) {
      options.addAll(List.of("-cp", cp));
    }
    options.addAll(List.of("--add-modules", "ALL-MODULE-PATH"));
    options.addAll(moduleFlags(ProcessHandle.current().info().arguments().map(List::of).orElse(List.of())));
    return new WorkerLaunch(options, List.of("-m", WORKER_MODULE + "/" + WorkerMain.class.getName()), null, "the module path");
  }

  /** The module-system flags among a launcher's arguments, each as {@code --flag=value}; stops at the main class, module or jar. */
  static List<String> moduleFlags(List<String> args) {
    List<String> flags = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("-m") || a.equals("--module") || a.equals("-jar") || !a.startsWith("-")) {
        break; // the main class, module or jar: what follows is the application's own arguments
      }
      int eq = a.indexOf('=');
      String name = eq > 0 ? a.substring(0, eq) : a;
      if (MODULE_FLAGS.contains(name)) {
        if (eq > 0) {
          flags.add(a);
        } else if (i + 1 < args.size()) {
          flags.add(a + "=" + args.get(++i));
        }
      } else if (WITH_VALUE.contains(a)) {
        i++;
      }
    }
    return flags;
  }

  // ---------------------------------------------------------------- Spring Boot

  private static WorkerLaunch springBoot(BootJar boot, Path cacheDir) {
    try {
      String cp = boot.extract(cacheDir).stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
      String source = "the Spring Boot jar " + boot.jar + ", extracted to " + cacheDir;
      requireWorkerMain(cp, source);
      return classpath(cp, source);
    } catch (IOException e) {
      // Nothing can be written: workers start from the jar itself, through Boot's own launcher.
      return new WorkerLaunch(List.of("-cp", boot.jar.toString(), "-Dloader.main=" + WorkerMain.class.getName()),
          List.of(boot.propertiesLauncher()), null, "the Spring Boot jar " + boot.jar + " through "
          + boot.propertiesLauncher() + " (extracting it to " + cacheDir + " failed: " + e + ")");
    }
  }

  // ---------------------------------------------------------------- class loaders

  /**
   * Adds the file URLs of the {@link URLClassLoader}s from the context class loader (else
   * Gearbox's) up to the system class loader, outermost first; returns the innermost loader's class
   * name, or null if there are none.
   */
  private static String loaderClasspath(List<String> entries) {
    ClassLoader system = ClassLoader.getSystemClassLoader();
    String found = null;
    for (ClassLoader start : new ClassLoader[] {Thread.currentThread().getContextClassLoader(), WorkerLaunch.class.getClassLoader()}) {
      Deque<String> chain = new ArrayDeque<>();
      String innermost = null;
      for (ClassLoader l = start; l != null && l != system && l != ClassLoader.getPlatformClassLoader(); l = l.getParent()) {
        if (l instanceof URLClassLoader u) {
          List<String> files = files(u.getURLs());
          for (int i = files.size() - 1; i >= 0; i--) {
            chain.addFirst(files.get(i));
          }
          if (innermost == null && !files.isEmpty()) {
            innermost = l.getClass().getName();
          }
        }
      }
      if (innermost != null) {
        for (String e : chain) {
          if (!entries.contains(e)) {
            entries.add(e);
          }
        }
        found = found == null ? innermost : found;
      }
    }
    return found;
  }

  private static List<String> files(URL[] urls) {
    List<String> files = new ArrayList<>();
    for (URL u : urls) {
      if ("file".equals(u.getProtocol())) {
        try {
          files.add(Path.of(u.toURI()).toString());
        } catch (URISyntaxException | IllegalArgumentException e) {
          // not a plain file URL: a JVM class path cannot name it
        }
      }
    }
    return files;
  }

  /**
   * Fails, naming the key that fixes it, unless {@code cp} (with the entries its jars' manifests
   * add) holds what {@link WorkerMain} was loaded from: a worker on it could not even start.
   */
  static void requireWorkerMain(String cp, String source) {
    Path home = codeSource(WorkerMain.class);
    if (home == null) {
      return; // cannot tell (a custom loader): let the first worker's own error speak
    }
    Set<Path> entries = new LinkedHashSet<>();
    for (String e : cp.split(File.pathSeparator)) {
      if (!e.isEmpty()) {
        entries.add(Path.of(e).toAbsolutePath().normalize());
      }
    }
    for (Path jar : List.copyOf(entries)) {
      try {
        if (Files.isRegularFile(jar)) {
          AotCache.manifestClassPath(jar).forEach(p -> entries.add(p.toAbsolutePath().normalize()));
        }
      } catch (IOException | RuntimeException e) {
        // unreadable: the entry itself still counts
      }
    }
    if (!entries.contains(home)) {
      throw new EngineConfigException(ProcessBackendProvider.CLASSPATH, "the process backend cannot start its worker JVMs: "
          + WorkerMain.class.getName() + " was loaded from " + home + ", which is not on the class path the workers"
          + " would get (from " + source + "). Set " + ProcessBackendProvider.CLASSPATH + " to the application's class"
          + " path: the jars and directories that hold Gearbox (gearbox-engine, gearbox-engine-process and their"
          + " dependencies) and the task classes");
    }
  }

  /** The jar or directory a class was loaded from, if it is a local file. */
  static Path codeSource(Class<?> c) {
    CodeSource cs = c.getProtectionDomain().getCodeSource();
    URL u = cs == null ? null : cs.getLocation();
    if (u == null || !"file".equals(u.getProtocol())) {
      return null;
    }
    try {
      return Path.of(new URI(u.toString())).toAbsolutePath().normalize();
    } catch (URISyntaxException | IllegalArgumentException e) {
      return null;
    }
  }
}
