package dev.gearbox.spi.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ObjectInputFilter;
import java.io.ObjectInputFilter.FilterInfo;
import java.io.ObjectInputFilter.Status;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link ClassPattern} decides every pattern form as the JDK's own pattern filter does. */
class ClassPatternTest {
  /** A hidden class (a lambda's): named as no class in a package can be. */
  private static final Class<?> HIDDEN = ((Runnable) () -> { }).getClass();

  private static final List<String> PATTERNS = List.of(
      SerialCodec.DENIED,
      "java.util.*;!*",
      "java.**;dev.gearbox.**;!*",
      "!java.util.**;java.**",
      "java.lang.Integer;!java.lang.*",
      "java.lang.Str*;!*",
      "java.base/java.util.*;!java.base/*;dev.gearbox.**",
      "!java.base/java.lang.*",
      "java.logging/*;!java.logging/java.util.logging.*",
      "*",
      "!*",
      "java.util.ArrayList;;java.util.HashMap;",
      "maxdepth=3;maxrefs=10;maxbytes=100;maxarray=5;java.**;!*",
      "maxarray=2",
      "dev.gearbox.spi.remote.*;!dev.gearbox.**",
      "dev.gearbox.spi.*;dev.gearbox.spi.remote.*",
      "**",
      "java.util.;java.util.ArrayList.;java.",
      "java.base/!java.lang.String;java.base/java.lang.Str*",
      " java.util.*;java.lang.String ;!*",
      "maxdepth=+3;maxrefs=0010;java.lang.*",
      "maxarray=0;maxbytes=50;maxrefs=11;maxdepth=4",
      ";;maxarray=3;;");

  private static final List<Class<?>> CLASSES = List.of(
      String.class, Integer.class, ArrayList.class, java.util.HashMap.class, java.util.concurrent.ConcurrentHashMap.class,
      java.time.Duration.class, ClassPatternTest.class, SerialCodec.class, dev.gearbox.Task.class, int.class,
      int[].class, int[][].class, String[].class, ArrayList[][].class, ClassPatternTest[].class,
      javax.management.ObjectName.class, java.util.logging.Level.class, HIDDEN);


  private record Info(Class<?> serialClass, long arrayLength, long depth, long references, long streamBytes)
      implements FilterInfo {}

  private static List<FilterInfo> infos() {
    List<FilterInfo> all = new ArrayList<>();
    for (Class<?> c : CLASSES) {
      // first over the limits, so that a verdict kept per class could only be wrong if it kept a limit's refusal
      all.add(new Info(c, 9, 9, 99, 999));
      // below, at and above the limits the patterns set (depth 3 and 4, references 10 and 11, bytes 50 and 100, arrays 0, 2, 3, 5)
      all.add(new Info(c, c.isArray() ? 0 : -1, 1, 1, 50));
      all.add(new Info(c, c.isArray() ? 2 : -1, 3, 10, 100));
      all.add(new Info(c, c.isArray() ? 3 : -1, 4, 11, 101));
      all.add(new Info(c, c.isArray() ? 5 : -1, 5, 12, 51));
      all.add(new Info(c, c.isArray() ? 6 : -1, 0, 0, 0));
      all.add(new Info(c, 7, 1, 1, 1)); // an array length given with a class that is no array: no array limit applies
    }
    all.add(new Info(null, -1, 1, 1, 1));
    all.add(new Info(null, -1, 9, 99, 999));
    all.add(new Info(String.class, -1, -1, 0, 0));
    all.add(new Info(String.class, -1, 1, -1, 0));
    all.add(new Info(String.class, -1, 1, 0, -1));
    return all;
  }

  @Test
  void everyPatternDecides_asTheJdksPatternFilter() {
    for (String pattern : PATTERNS) {
      ObjectInputFilter jdk = ObjectInputFilter.Config.createFilter(pattern);
      ClassPattern ours = new ClassPattern(pattern);
      for (FilterInfo info : infos()) {
        Status expected = jdk == null ? Status.UNDECIDED : jdk.checkInput(info);
        assertThat(ours.checkInput(info)).as("%s on %s", pattern, info).isEqualTo(expected);
      }
    }
  }

  @Test
  void invalidPatterns_failAsTheJdksDo() {
    for (String bad : List.of("!/java.util.*", "/x", ".*", "!.*", "m/.**", "a/", "!", "maxdepth=-1", "maxrefs=x",
        "maxfoo=1", "maxbytes=", "!maxdepth=1", "=1", "maxdepthx=1", "!m/", "m/.*", "maxdepth=99999999999999999999",
        "java.util.*;maxarray=-2")) {
      Throwable jdk = null;
      try {
        ObjectInputFilter.Config.createFilter(bad);
      } catch (RuntimeException e) {
        jdk = e;
      }
      assertThat(jdk).as("the JDK refuses %s", bad).isInstanceOf(IllegalArgumentException.class);
      String message = jdk.getMessage();
      assertThatThrownBy(() -> new ClassPattern(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessage(message);
    }
  }

  @Test
  void aPatternOfSeparatorsOnly_isRefused_notReadAsLettingEverythingThrough() {
    assertThat(ObjectInputFilter.Config.createFilter(";;")).as("the JDK makes no filter of it").isNull();
    assertThatThrownBy(() -> new ClassPattern(";;")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("no class pattern or limit in: \";;\"");
    assertThatThrownBy(() -> SerialCodec.create(1024, ";", "gearbox.test.max-payload", "gearbox.test.serial-filter"))
        .isInstanceOf(dev.gearbox.EngineConfigException.class)
        .hasMessageContaining("gearbox.test.serial-filter=; is not a valid ObjectInputFilter pattern: no class pattern or limit");
  }
}
