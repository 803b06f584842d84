package dev.gearbox.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * A Spring Boot executable jar ({@code java -jar app.jar}) as worker JVMs can use it. Its classes
 * sit in nested jars ({@code BOOT-INF/classes}, {@code BOOT-INF/lib/*.jar}, or {@code WEB-INF/...}
 * in a war) that no JVM class path can name, so the jar is extracted once into a cache directory
 * keyed by a hash of its content: the application's classes repacked as {@code classes.jar} and
 * every library jar as it was. Workers then start with a class path of plain jars, which is also
 * what lets them start from the JDK's AOT cache.
 *
 * <p>Extraction writes a temporary directory and renames it into place, so a reader never sees half
 * an extraction and two engines extracting the same jar at once both end with one complete copy.
 * Extractions unused for a week, and all but the most recent few, are deleted (never one used in
 * the last hour). The alternative, workers started through Boot's own {@code PropertiesLauncher}
 * from the jar itself, costs every worker start the nested-jar class loading (see the module README
 * for the measurement); it is the fallback when nothing can be written.
 */
final class BootJar {
  /** The launchers that Spring Boot's plugin writes as Main-Class (3.2+ and older). */
  private static final String LAUNCHER_PACKAGE = "org.springframework.boot.loader.";

  final Path jar;
  private final String launcherPackage;
  private final String classesDir;
  private final List<String> libDirs;
  private final String classpathIndex;

  private BootJar(Path jar, String launcherPackage, String classesDir, List<String> libDirs, String classpathIndex) {
    this.jar = jar;
    this.launcherPackage = launcherPackage;
    this.classesDir = classesDir;
    this.libDirs = libDirs;
    this.classpathIndex = classpathIndex;
  }

  /** The Boot jar this JVM was launched from ({@code java -jar app.jar}), if it was. */
  static Optional<BootJar> ofThisJvm() {
    String cp = System.getProperty("java.class.path", "");
    if (cp.isEmpty() || cp.contains(java.io.File.pathSeparator) || !cp.toLowerCase(java.util.Locale.ROOT).matches(".*\\.[jw]ar")) {
      return Optional.empty();
    }
    return of(Path.of(cp).toAbsolutePath());
  }

  /** The jar as a Boot executable jar, or empty if its manifest does not start a Boot launcher. */
  static Optional<BootJar> of(Path jar) {
    if (!Files.isRegularFile(jar)) {
      return Optional.empty();
    }
    try (JarFile j = new JarFile(jar.toFile(), false)) {
      Manifest m = j.getManifest();
      Attributes a = m == null ? null : m.getMainAttributes();
      String main = a == null ? null : a.getValue(Attributes.Name.MAIN_CLASS);
      if (main == null || !main.startsWith(LAUNCHER_PACKAGE) || a.getValue("Start-Class") == null) {
        return Optional.empty();
      }
      boolean war = j.getEntry("WEB-INF/") != null || main.endsWith("WarLauncher");
      String classes = dir(a.getValue("Spring-Boot-Classes"), war ? "WEB-INF/classes/" : "BOOT-INF/classes/");
      String lib = dir(a.getValue("Spring-Boot-Lib"), war ? "WEB-INF/lib/" : "BOOT-INF/lib/");
      List<String> libs = war ? List.of(lib, "WEB-INF/lib-provided/") : List.of(lib);
      String index = a.getValue("Spring-Boot-Classpath-Index");
      return Optional.of(new BootJar(jar, main.substring(0, main.lastIndexOf('.') + 1), classes, libs, index));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static String dir(String value, String otherwise) {
    String d = value == null || value.isBlank() ? otherwise : value.trim();
    return d.endsWith("/") ? d : d + "/";
  }

  /** Boot's launcher that starts any main class named by {@code -Dloader.main} from this jar. */
  String propertiesLauncher() {
    return launcherPackage + "PropertiesLauncher";
  }

  /**
   * The extracted class path (classes.jar first, then the libraries in the jar's class path
   * index order), extracting into {@code cacheDir} first unless an extraction of the same content
   * is there.
   */
  List<Path> extract(Path cacheDir) throws IOException {
    Path target = cacheDir.resolve("boot-" + contentHash());
    if (!Files.isRegularFile(target.resolve("classpath.txt"))) {
      Files.createDirectories(cacheDir);
      Path tmp = Files.createTempDirectory(cacheDir, target.getFileName() + ".tmp");
      try {
        Files.write(tmp.resolve("classpath.txt"), unpack(tmp));
        try {
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
          if (!Files.isRegularFile(target.resolve("classpath.txt"))) {
            throw e;
          } // another engine extracted the same jar first: use its copy
        }
      } finally {
        AotCache.deleteQuietly(tmp);
      }
      AotCache.prune(target, "boot-", "");
    } else {
      AotCache.touch(target);
    }
    List<Path> cp = new ArrayList<>();
    for (String name : Files.readAllLines(target.resolve("classpath.txt"))) {
      cp.add(target.resolve(name));
    }
    return cp;
  }

  /** Writes classes.jar and lib/ into {@code dir}; returns the class path, relative to {@code dir}. */
  private List<String> unpack(Path dir) throws IOException {
    List<String> order = new ArrayList<>();
    Set<String> libs = new LinkedHashSet<>();
    Path lib = Files.createDirectories(dir.resolve("lib"));
    try (JarFile j = new JarFile(jar.toFile(), false);
        JarOutputStream classes = new JarOutputStream(Files.newOutputStream(dir.resolve("classes.jar")))) {
      for (Enumeration<JarEntry> en = j.entries(); en.hasMoreElements(); ) {
        JarEntry e = en.nextElement();
        String name = e.getName();
        if (name.startsWith(classesDir) && name.length() > classesDir.length()) {
          JarEntry copy = new JarEntry(name.substring(classesDir.length()));
          copy.setTime(e.getTime());
          classes.putNextEntry(copy);
          if (!e.isDirectory()) {
            try (InputStream in = j.getInputStream(e)) {
              in.transferTo(classes);
            }
          }
          classes.closeEntry();
        } else if (!e.isDirectory() && libDirs.stream().anyMatch(d -> name.startsWith(d)) && name.endsWith(".jar")) {
          String file = name.substring(name.lastIndexOf('/') + 1);
          try (InputStream in = j.getInputStream(e); OutputStream out = Files.newOutputStream(lib.resolve(file))) {
            in.transferTo(out);
          }
          libs.add(name);
        }
      }
      // The class path index keeps the build's dependency order, which decides who wins when two
      // jars hold the same class.
      JarEntry idx = classpathIndex == null ? null : j.getJarEntry(classpathIndex);
      if (idx != null) {
        try (InputStream in = j.getInputStream(idx)) {
          for (String line : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
            String entry = line.strip().replaceFirst("^- ", "").replace("\"", "");
            if (libs.remove(entry)) {
              order.add(entry);
            }
          }
        }
      }
      order.addAll(libs);
    }
    List<String> cp = new ArrayList<>();
    cp.add("classes.jar");
    for (String entry : order) {
      cp.add("lib/" + entry.substring(entry.lastIndexOf('/') + 1));
    }
    return cp;
  }

  /** The first 12 bytes of the SHA-256 of the jar's bytes, in hex: a rebuilt jar is another key even with the same size and time stamp (reproducible builds fix both). */
  private String contentHash() throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IOException("no SHA-256", e);
    }
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(jar)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        sha.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(sha.digest(), 0, 12);
  }
}
