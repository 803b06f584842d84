package dev.gearbox.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gearbox.ConfigKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Holds a README's table of configuration keys to the keys' declarations: the same keys, with
 * the same defaults and meanings, so the documentation cannot drift from the code. A key-table row
 * is a Markdown row of three cells whose first cell is a key in backticks:
 * {@code | `gearbox.x.y` | default | meaning |}.
 */
public final class KeyTables {
  private KeyTables() {}

  /** The key-table rows of a Markdown file, by key, in order. */
  public static Map<String, ConfigKey> rows(Path markdown) throws IOException {
    Map<String, ConfigKey> rows = new LinkedHashMap<>();
    for (String line : Files.readAllLines(markdown)) {
      if (!line.startsWith("| `gearbox.")) {
        continue;
      }
      String[] cells = line.strip().substring(1, line.strip().length() - 1).split(" \\| ", -1);
      if (cells.length == 3) {
        String key = cells[0].strip().replace("`", "");
        rows.put(key, new ConfigKey(key, cells[1].strip(), cells[2].strip()));
      }
    }
    return rows;
  }

  /** The row a README should have for {@code key}. */
  public static String row(ConfigKey key) {
    return "| `" + key.name() + "` | " + key.defaultValue() + " | " + key.meaning() + " |";
  }

  /**
   * Asserts that {@code markdown}'s key table lists exactly {@code declared}, each with its
   * declared default and meaning; the failure lists the rows to write.
   */
  public static void assertDocuments(Path markdown, List<ConfigKey> declared) throws IOException {
    Map<String, ConfigKey> documented = rows(markdown);
    List<String> wrong = new ArrayList<>();
    for (ConfigKey key : declared) {
      ConfigKey doc = documented.remove(key.name());
      if (!key.equals(doc)) {
        wrong.add((doc == null ? "missing: " : "differs: ") + row(key));
      }
    }
    documented.keySet().forEach(k -> wrong.add("not declared in the code: " + k));
    assertThat(wrong).as("the key table of %s against the declarations", markdown).isEmpty();
  }
}
