package dev.gearbox.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gearbox.ConfigKey;
import dev.gearbox.EngineConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The root README's key table shows exactly the core's declared keys; and the check itself can fail. */
class CoreKeysDocumentedTest {
  @Test
  void theRootReadmeKeyTable_matchesTheCoreDeclarations() throws Exception {
    KeyTables.assertDocuments(Path.of("..", "README.md"), EngineConfig.coreKeys());
  }

  @Test
  void aDefaultThatDrifted_aMissingRow_andAnUndeclaredRow_areEachReported(@TempDir Path dir) throws Exception {
    Path readme = dir.resolve("README.md");
    Files.writeString(readme, String.join("\n",
        "| key | default | meaning |", "|---|---|---|",
        "| `gearbox.a` | `1` | first |",
        "| `gearbox.c` | `3` | third |", ""));
    List<ConfigKey> declared = List.of(new ConfigKey("gearbox.a", "`2`", "first"), new ConfigKey("gearbox.b", "`2`", "second"));
    assertThat(KeyTables.rows(readme)).containsOnlyKeys("gearbox.a", "gearbox.c");
    assertThatThrownBy(() -> KeyTables.assertDocuments(readme, declared))
        .hasMessageContaining("differs: | `gearbox.a` | `2` | first |")
        .hasMessageContaining("missing: | `gearbox.b` | `2` | second |")
        .hasMessageContaining("not declared in the code: gearbox.c");
  }
}
