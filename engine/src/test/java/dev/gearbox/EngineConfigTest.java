package dev.gearbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gearbox.spi.remote.MapSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineConfigTest {
  @TempDir
  Path dir;

  private static Properties props(String... kv) {
    Properties p = new Properties();
    for (int i = 0; i < kv.length; i += 2) {
      p.setProperty(kv[i], kv[i + 1]);
    }
    return p;
  }

  @Test
  void defaults_areThreadBackendWithOneWorkerPerCore() {
    EngineConfig c = EngineConfig.newBuilder().build();
    assertThat(c.backend()).isEqualTo("thread");
    assertThat(c.workers()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(c.queueFullPolicy()).isEqualTo(QueueFullPolicy.BLOCK);
    assertThat(c.taskTimeout()).isEmpty();
  }

  @Test
  void precedence_systemPropertyOverEnvironmentOverWorkingDirFileOverClasspath() throws Exception {
    Path file = dir.resolve("gearbox.properties");
    Files.writeString(file, "gearbox.workers=3\ngearbox.queue.capacity=7\ngearbox.task.retries=1\n");
    EngineConfig c = EngineConfig.load(props("gearbox.workers", "5", "java.version", "ignored"),
        Map.of("GEARBOX_QUEUE_CAPACITY", "9", "GEARBOX_WORKERS", "4", "PATH", "/bin"), file, null);
    assertThat(c.workers()).isEqualTo(5);        // system property wins
    assertThat(c.queueCapacity()).isEqualTo(9);  // environment beats the file
    assertThat(c.taskRetries()).isEqualTo(1);    // the file beats defaults
  }

  @Test
  void overrides_winOverSystemPropertiesAndNameThemselvesInErrors() {
    EngineConfig c = EngineConfig.load(props("gearbox.workers", "3"), Map.of("GEARBOX_BACKEND", "thread"),
        dir.resolve("absent"), null, Map.of("gearbox.workers", "5", "gearbox.backend", "direct"));
    assertThat(c.workers()).isEqualTo(5);
    assertThat(c.backend()).isEqualTo("direct");
    assertThatThrownBy(() -> EngineConfig.load(new Properties(), Map.of(), dir.resolve("absent"), null,
        Map.of("gearbox.workers", "lots")))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("lots").hasMessageContaining("override gearbox.workers=lots");
  }

  @Test
  void backends_listsTheBuiltInDirectBackend() {
    assertThat(Engine.backends()).contains("direct");
  }

  @Test
  void environment_dashedKeysMapToUnderscores() {
    EngineConfig c = EngineConfig.load(new Properties(), Map.of("GEARBOX_MAP_CHUNK_SIZE", "64"), dir.resolve("absent"), null);
    assertThat(c.chunkSize()).isEqualTo(64);
  }

  @Test
  void environment_unknownGearboxVariable_failsNamingIt() {
    assertThatThrownBy(() -> EngineConfig.load(new Properties(), Map.of("GEARBOX_WROKERS", "2"), dir.resolve("absent"), null))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("GEARBOX_WROKERS does not name a Gearbox configuration key (did you mean GEARBOX_WORKERS?)")
        .hasMessageContaining("GEARBOX_WORKERS");
  }

  @Test
  void malformedValue_failsNamingKeyValueSourceAndWhatIsAccepted() {
    assertThatThrownBy(() -> EngineConfig.load(props("gearbox.workers", "many"), Map.of(), dir.resolve("absent"), null))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("gearbox.workers=many")
        .hasMessageContaining("whole number")
        .hasMessageContaining("system property -Dgearbox.workers")
        .extracting(e -> ((EngineConfigException) e).key()).isEqualTo("gearbox.workers");
  }

  @Test
  void workerInitializerAndSerializationCheck_badValues_failNamingTheKeyAndWhatIsAccepted() {
    assertThatThrownBy(() -> EngineConfig.fromProperties(props(EngineConfig.WORKER_INITIALIZER, "com.acme.NoSuchInit")))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("gearbox.worker.initializer=com.acme.NoSuchInit")
        .hasMessageContaining("public no-argument constructor");
    assertThatThrownBy(() -> EngineConfig.fromProperties(props(EngineConfig.WORKER_INITIALIZER, "java.lang.String")))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("implements dev.gearbox.WorkerInitializer");
    assertThatThrownBy(() -> EngineConfig.fromProperties(props(EngineConfig.SERIALIZATION_CHECK, "sometimes")))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("gearbox.serialization.check=sometimes")
        .hasMessageContaining("off or always");
    assertThat(EngineConfig.fromProperties(props(EngineConfig.SERIALIZATION_CHECK, "always")).checksSerialization()).isTrue();
    assertThat(EngineConfig.fromProperties(props(EngineConfig.WORKER_INITIALIZER, "none")).workerInitializer()).isEmpty();
  }

  @Test
  void unknownCoreKey_failsListingKnownKeys() {
    assertThatThrownBy(() -> EngineConfig.fromProperties(props("gearbox.worker", "2")))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("gearbox.worker'")
        .hasMessageContaining("gearbox.workers");
  }

  @Test
  void mistypedKey_suggestsTheNearestKnownOne() {
    assertThatThrownBy(() -> EngineConfig.fromProperties(props("gearbox.wokers", "4")))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("unknown configuration key 'gearbox.wokers' (did you mean 'gearbox.workers'?). Known keys:");
    // A key of three parts could be a backend's: it is checked when the engine opens.
    EngineConfig typo = EngineConfig.fromProperties(props("gearbox.backend", "direct", "gearbox.task.tiemout", "5s"));
    assertThatThrownBy(() -> Engine.open(typo))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("did you mean 'gearbox.task.timeout'?");
    // Nothing near: no guess, only the list.
    assertThatThrownBy(() -> EngineConfig.fromProperties(props("gearbox.colour", "red")))
        .hasMessageContaining("unknown configuration key 'gearbox.colour'. Known keys:")
        .hasMessageNotContaining("did you mean");
    assertThat(EngineConfig.nearest("gearbox.ab", java.util.List.of("gearbox.ac", "gearbox.ad"))).as("a tie").isNull();
  }

  @Test
  void fileWithANonGearboxKey_failsNamingTheFile() throws Exception {
    Path file = dir.resolve("gearbox.properties");
    Files.writeString(file, "gearbx.backend=thread\n");
    assertThatThrownBy(() -> EngineConfig.load(new Properties(), Map.of(), file, null))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("gearbx.backend")
        .hasMessageContaining(file.toAbsolutePath().toString());
  }

  @Test
  void durations_acceptUnitsAndIso() {
    assertThat(MapSettings.parseDuration("k", "250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(MapSettings.parseDuration("k", "1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(MapSettings.parseDuration("k", "2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(MapSettings.parseDuration("k", "PT3S")).isEqualTo(Duration.ofSeconds(3));
    assertThatThrownBy(() -> MapSettings.parseDuration("gearbox.task.timeout", "soon"))
        .hasMessageContaining("gearbox.task.timeout=soon").hasMessageContaining("250ms");
  }

  @Test
  void timeoutNone_andAutoValues_meanUnset() {
    EngineConfig c = EngineConfig.fromProperties(props("gearbox.task.timeout", "none", "gearbox.map.window", "auto",
        "gearbox.map.chunk-size", "auto"));
    assertThat(c.taskTimeout()).isEmpty();
    assertThat(c.mapWindow()).isZero();
    assertThat(c.chunkSize()).isZero();
  }

  @Test
  void builder_rejectsBadValuesAtOnceNamingTheKey() {
    assertThatThrownBy(() -> EngineConfig.newBuilder().workers(0)).hasMessageContaining("gearbox.workers");
    assertThatThrownBy(() -> EngineConfig.newBuilder().backend("Thread Pool")).hasMessageContaining("gearbox.backend");
    assertThatThrownBy(() -> EngineConfig.newBuilder().taskTimeout(Duration.ZERO)).hasMessageContaining("gearbox.task.timeout");
    assertThatThrownBy(() -> EngineConfig.newBuilder().option("queue.capacity", "3")).hasMessageContaining("start with 'gearbox.'");
  }

  @Test
  void open_unknownBackend_listsTheBackendsOnTheClasspath() {
    assertThatThrownBy(() -> Engine.open(EngineConfig.newBuilder().backend("proces").build()))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("gearbox.backend=proces")
        .hasMessageContaining("Backends on the classpath: direct")
        .hasMessageContaining("Did you mean 'process' (in dev.gearbox:gearbox-engine-process, not on the classpath either)?")
        .hasMessageContaining("another library's backend needs its module on the classpath")
        .hasMessageNotContaining("gearbox-engine-proces,")
        .hasMessageNotContaining("gearbox-engine-proces)");
  }

  @Test
  void open_shippedBackendNotOnTheClasspath_namesItsModule() {
    // The engine module's tests have only the direct backend: thread, the default, is missing.
    assertThatThrownBy(() -> Engine.open(EngineConfig.newBuilder().build()))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("gearbox.backend=thread (from the default: nothing set gearbox.backend)")
        .hasMessageContaining("dev.gearbox:gearbox-engine-thread: add it to the classpath");
    assertThatThrownBy(() -> Engine.open(EngineConfig.newBuilder().backend("thread").build()))
        .hasMessageContaining("gearbox.backend=thread (from builder)");
    assertThatThrownBy(() -> Engine.open(EngineConfig.fromProperties(props("gearbox.backend", "thread"))))
        .hasMessageNotContaining("the default");
    assertThatThrownBy(() -> Engine.open(EngineConfig.newBuilder().backend("zzz").build()))
        .hasMessageContaining("(from builder)")
        .hasMessageContaining("Gearbox's backends are thread, direct, async, process, cluster")
        .hasMessageNotContaining("Did you mean");
  }

  @Test
  void keysThatTakeAWord_sayWhichInTheirError() {
    assertThatThrownBy(() -> EngineConfig.fromProperties(props("gearbox.map.chunk-size", "abc")))
        .hasMessageContaining("gearbox.map.chunk-size=abc is not valid: expected a whole number or auto");
    assertThatThrownBy(() -> EngineConfig.fromProperties(props("gearbox.map.window", "big")))
        .hasMessageContaining("expected a whole number or auto");
    assertThatThrownBy(() -> EngineConfig.fromProperties(props("gearbox.dashboard.port", "auto")))
        .hasMessageContaining("expected a whole number or off");
  }

  @Test
  void open_backendKeyOfNoBackendOnTheClasspath_fails() {
    assertThatThrownBy(() -> Engine.open(EngineConfig.newBuilder().backend("direct").option("gearbox.process.workers", "2").build()))
        .isInstanceOf(EngineConfigException.class)
        .hasMessageContaining("gearbox.process.workers");
  }

  @Test
  void sameProgram_switchesBackendByProperty() throws Exception {
    try (Engine e = Engine.open(EngineConfig.load(props("gearbox.backend", "direct"), Map.of(), dir.resolve("absent"), null))) {
      assertThat(e.backendName()).isEqualTo("direct");
      assertThat(e.submit(() -> Thread.currentThread()).get()).isSameAs(Thread.currentThread());
    }
  }
}
