package dev.gearbox.view;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineConfigException;
import dev.gearbox.EngineSnapshot;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The web view over HTTP (the page itself is driven in a real browser by the process backend's tests). */
class DashboardTest {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private HttpResponse<String> get(URI uri) throws Exception {
    return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @SuppressWarnings("unchecked")
  void theSnapshotEndpoint_thePage_andTheEventStream_areServedOnLoopback_readOnly() throws Exception {
    try (Engine engine = Engine.open(EngineConfig.newBuilder().backend("direct").name("dash-test").dashboard(0).build())) {
      engine.submit(() -> 1).get();
      URI base = engine.dashboardUri().orElseThrow();
      assertThat(base.getHost()).isEqualTo("127.0.0.1");

      HttpResponse<String> snap = get(base.resolve("api/snapshot"));
      assertThat(snap.statusCode()).isEqualTo(200);
      assertThat(snap.headers().firstValue("Content-Type")).contains("application/json");
      Map<String, Object> s = (Map<String, Object>) Json.read(snap.body());
      assertThat(s.get("engine")).isEqualTo("dash-test");
      assertThat(((Map<String, Object>) s.get("counts")).get("completed")).isEqualTo(1.0);
      assertThat(Top.render(snap.body(), Instant.now())).contains("engine dash-test").contains("completed 1");

      HttpResponse<String> page = get(base);
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("<title>Gearbox · dash-test</title>").doesNotContain("http://").doesNotContain("https://");

      HttpResponse<String> post = http.send(HttpRequest.newBuilder(base.resolve("api/snapshot"))
          .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(405);
      assertThat(get(base.resolve("nothing-here")).statusCode()).isEqualTo(404);

      HttpResponse<java.io.InputStream> events = http.send(HttpRequest.newBuilder(base.resolve("api/events")).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      try (BufferedReader r = new BufferedReader(new InputStreamReader(events.body(), StandardCharsets.UTF_8))) {
        assertThat(r.readLine()).isEqualTo("event: state");
        String data = r.readLine();
        assertThat(data).startsWith("data: {\"snapshot\":");
        Map<String, Object> state = (Map<String, Object>) Json.read(data.substring(6));
        assertThat(state).containsKeys("history", "timelines", "finished", "workerEvents");
      }
    }
  }

  @Test
  void top_printsTheEngineOnce_fromItsDashboard() throws Exception {
    try (Engine engine = Engine.open(EngineConfig.newBuilder().backend("direct").name("top-test").dashboard(0).build())) {
      engine.submit(() -> 1).get();
      java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
      java.io.PrintStream out = System.out;
      System.setOut(new java.io.PrintStream(printed, true, StandardCharsets.UTF_8));
      try {
        Top.main(new String[] {Integer.toString(engine.dashboardUri().orElseThrow().getPort()), "--once"});
      } finally {
        System.setOut(out);
      }
      assertThat(printed.toString(StandardCharsets.UTF_8)).contains("engine top-test · direct backend")
          .contains("completed 1").contains("ID").doesNotContain("\033[");
    }
  }

  @Test
  void aPortInUse_failsAtOpen_namingTheKey() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      assertThatThrownBy(() -> Engine.open(EngineConfig.newBuilder().backend("direct").name("dash-busy")
          .dashboard(taken.getLocalPort()).build()))
          .isInstanceOf(EngineConfigException.class).hasMessageContaining("gearbox.dashboard.port");
    }
  }

  @Test
  void json_roundTrips_andEscapesWhatAPageMustNotSeeRaw() {
    String text = Json.write(Map.of("a", "x\"<script>\n", "n", 1.5));
    assertThat(text).doesNotContain("<script>");
    assertThat(Json.read(text)).isEqualTo(Map.of("a", "x\"<script>\n", "n", 1.5));
  }

  @Test
  void top_showsATaskSentToAWorkerThatHasNotStartedIt_asSent_andOneWithNoWorkerYet_asStarting() {
    Instant now = Instant.parse("2026-12-02T10:00:00Z");
    EngineSnapshot.Counts counts = new EngineSnapshot.Counts(2, 0, 0, 0, 0, 0, 0, 2, 0, 2);
    EngineSnapshot s = new EngineSnapshot("top-test", "process", now, 1, counts, java.util.List.of(
        new EngineSnapshot.TaskInfo(1, "runs", EngineSnapshot.TaskState.RUNNING, 1, "worker-1 pid 42", now, now.minusSeconds(3), -1, null),
        new EngineSnapshot.TaskInfo(2, "held", EngineSnapshot.TaskState.RUNNING, 1, "worker-1 pid 42", now, null, -1, null),
        new EngineSnapshot.TaskInfo(3, "parked", EngineSnapshot.TaskState.RUNNING, 1, null, now, null, -1, null)),
        0, java.util.List.of(), java.util.List.of());
    String screen = Top.render(SnapshotJson.toJson(s), now);
    assertThat(screen.lines().filter(l -> l.contains(" runs "))).singleElement().asString().contains("RUNNING");
    assertThat(screen.lines().filter(l -> l.contains(" held "))).singleElement().asString().contains("SENT")
        .contains("worker-1 pid 42");
    assertThat(screen.lines().filter(l -> l.contains(" parked "))).as("handed to the backend, no worker yet").singleElement()
        .asString().contains("STARTING");
  }
}
