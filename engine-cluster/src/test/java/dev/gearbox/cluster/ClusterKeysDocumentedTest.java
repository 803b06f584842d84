package dev.gearbox.cluster;

import dev.gearbox.testkit.KeyTables;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The module README's key table shows exactly the keys the provider declares. */
class ClusterKeysDocumentedTest {
  @Test
  void theReadmeKeyTable_matchesTheDeclarations() throws Exception {
    KeyTables.assertDocuments(Path.of("README.md"), ClusterBackendProvider.KEYS);
  }
}
