package dev.gearbox.view;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.gearbox.Engine;
import dev.gearbox.EngineSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live web view of one engine, on the JDK's own HTTP server: a page with no external assets
 * ({@code /}), the snapshot as JSON ({@code /api/snapshot?max=N}), the page's whole state as JSON
 * ({@code /api/state}), and that state pushed every {@link #PERIOD_MILLIS} ms as server-sent events
 * ({@code /api/events}). Read-only: anything but GET is refused.
 *
 * <p>One sampler thread builds the state once per period (snapshot, counts history, timelines)
 * whatever the number of viewers; each viewer's stream has a thread of its own, at most
 * {@link #MAX_VIEWERS}.
 */
final class Dashboard implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Dashboard.class);
  static final long PERIOD_MILLIS = 1_000;
  static final int MAX_VIEWERS = 16;
  /** Tasks the page lists. */
  static final int MAX_TASKS = 500;
  /** Samples of the counts kept for the chart: ten minutes. */
  static final int HISTORY = 600;
  static final int RECENT_FINISHED = 50;

  private final Engine engine;
  private final Timeline timeline = new Timeline();
  private final HttpServer server;
  private final ExecutorService handlers;
  private final ScheduledExecutorService sampler;
  private final ArrayDeque<Map<String, Object>> history = new ArrayDeque<>();
  private final AtomicInteger viewers = new AtomicInteger();
  /** The latest state and its number; guarded by this object's monitor, which viewers wait on. */
  private String state = "{}";
  private long version;
  private volatile boolean closed;

  Dashboard(Engine engine, String bind, int port) throws IOException {
    this.engine = engine;
    engine.addListener(timeline);
    String name = engine.name();
    this.server = HttpServer.create(new InetSocketAddress(bind, port), 16);
    // Viewers' streams hold at most MAX_VIEWERS threads, so short requests always find one of the
    // others; a burst beyond them waits in the queue.
    ThreadPoolExecutor pool = new ThreadPoolExecutor(MAX_VIEWERS + 4, MAX_VIEWERS + 4, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(256),
        new ThreadFactoryBuilder().setDaemon(true).setNameFormat("gearbox-" + name + "-dashboard-%d").build());
    pool.allowCoreThreadTimeOut(true);
    this.handlers = pool;
    server.setExecutor(handlers);
    server.createContext("/", this::page);
    server.createContext("/api/snapshot", this::snapshot);
    server.createContext("/api/state", ex -> send(ex, 200, "application/json", currentState()));
    server.createContext("/api/events", this::events);
    this.sampler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
        new ThreadFactoryBuilder().setDaemon(true).setNameFormat("gearbox-" + name + "-dashboard-sampler").build());
    sample();
    sampler.scheduleAtFixedRate(this::sample, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    server.start();
    log.info("Gearbox: engine {} dashboard at {}", name, url());
  }

  /** Where the page is. */
  String url() {
    InetSocketAddress a = server.getAddress();
    String host = a.getAddress().isAnyLocalAddress() ? "localhost" : a.getAddress().getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + a.getPort() + "/";
  }

  int port() {
    return server.getAddress().getPort();
  }

  private void sample() {
    try {
      EngineSnapshot s = engine.snapshot(MAX_TASKS);
      Map<String, Object> point = new LinkedHashMap<>();
      point.put("t", s.takenAt().toEpochMilli());
      point.put("running", s.counts().running());
      point.put("queued", s.counts().queued());
      point.put("completed", s.counts().completed());
      point.put("failed", s.counts().failed());
      List<Long> ids = new ArrayList<>();
      for (EngineSnapshot.TaskInfo t : s.tasks()) {
        ids.add(t.id());
      }
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("snapshot", SnapshotJson.toMap(s));
      synchronized (history) {
        history.addLast(point);
        if (history.size() > HISTORY) {
          history.removeFirst();
        }
        m.put("history", new ArrayList<>(history));
      }
      m.putAll(timeline.toMap(ids, RECENT_FINISHED));
      String json = Json.write(m);
      synchronized (this) {
        state = json;
        version++;
        notifyAll();
      }
    } catch (RuntimeException e) {
      log.warn("Gearbox: the dashboard of engine {} could not take a snapshot", engine.name(), e);
    }
  }

  private synchronized String currentState() {
    return state;
  }

  private static boolean refuseUnlessGet(HttpExchange ex) throws IOException {
    if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
      ex.getResponseHeaders().set("Allow", "GET, HEAD");
      send(ex, 405, "text/plain", "read-only: GET only");
      return true;
    }
    return false;
  }

  private void page(HttpExchange ex) throws IOException {
    if (refuseUnlessGet(ex)) {
      return;
    }
    if (!ex.getRequestURI().getPath().equals("/")) {
      send(ex, 404, "text/plain", "not found");
      return;
    }
    try (InputStream in = Dashboard.class.getResourceAsStream("dashboard.html")) {
      String html = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("{{engine}}", escapeHtml(engine.name()));
      send(ex, 200, "text/html; charset=utf-8", html);
    }
  }

  private void snapshot(HttpExchange ex) throws IOException {
    if (refuseUnlessGet(ex)) {
      return;
    }
    int max = 1_000;
    String q = ex.getRequestURI().getQuery();
    if (q != null) {
      for (String p : q.split("&")) {
        if (p.startsWith("max=")) {
          try {
            max = Math.max(0, Integer.parseInt(p.substring(4)));
          } catch (NumberFormatException e) {
            send(ex, 400, "text/plain", "max must be a whole number");
            return;
          }
        }
      }
    }
    send(ex, 200, "application/json", SnapshotJson.toJson(engine.snapshot(max)));
  }

  private void events(HttpExchange ex) throws IOException {
    if (refuseUnlessGet(ex)) {
      return;
    }
    if (viewers.incrementAndGet() > MAX_VIEWERS) {
      viewers.decrementAndGet();
      send(ex, 503, "text/plain", "too many viewers (" + MAX_VIEWERS + ")");
      return;
    }
    try {
      ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
      ex.getResponseHeaders().set("Cache-Control", "no-store");
      ex.sendResponseHeaders(200, 0);
      try (OutputStream out = ex.getResponseBody()) {
        long seen = -1;
        while (!closed) {
          String s;
          synchronized (this) {
            while (version == seen && !closed) {
              wait(PERIOD_MILLIS * 5);
            }
            seen = version;
            s = state;
          }
          out.write(("event: state\ndata: " + s + "\n\n").getBytes(StandardCharsets.UTF_8));
          out.flush();
        }
      }
    } catch (IOException e) {
      log.debug("Gearbox: a dashboard viewer left: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      viewers.decrementAndGet();
      ex.close();
    }
  }

  private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    if (ex.getRequestMethod().equals("HEAD")) {
      ex.sendResponseHeaders(status, -1);
    } else {
      ex.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
    ex.close();
  }

  static String escapeHtml(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  @Override
  public void close() {
    closed = true;
    engine.removeListener(timeline);
    sampler.shutdownNow();
    synchronized (this) {
      notifyAll();
    }
    server.stop(0);
    handlers.shutdownNow();
  }

}
