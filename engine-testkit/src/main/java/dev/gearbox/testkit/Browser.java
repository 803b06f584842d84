package dev.gearbox.testkit;

import dev.gearbox.view.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real headless Chromium for end-to-end tests of web pages, driven over the DevTools protocol
 * with the JDK's own HTTP and WebSocket client (no driver, no library): open a page, evaluate
 * JavaScript in it, take a PNG screenshot. Chromium comes from the machine (Debian:
 * {@code apt-get install -y chromium}); {@link #find()} says where, or why not.
 *
 * <p>Not thread-safe: one test thread drives it. {@link #close()} ends the browser and every
 * process it started.
 */
public final class Browser implements AutoCloseable {
  /** What to do when there is no browser, for test messages. */
  public static final String INSTALL = "no Chromium found (looked for $GEARBOX_CHROMIUM, chromium, chromium-browser,"
      + " google-chrome on the PATH). Install it: Debian/Ubuntu `apt-get install -y chromium` (CI's .ci/run does),"
      + " or point GEARBOX_CHROMIUM at a Chrome or Chromium binary";
  private static final Duration STARTUP = Duration.ofSeconds(30);
  private static final Duration CALL = Duration.ofSeconds(20);

  private final Process process;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<String>> calls = new ConcurrentHashMap<>();

  private Browser(Process process, WebSocket socket) {
    this.process = process;
    this.socket = socket;
  }

  /** The Chromium binary to use, or null when there is none. */
  public static Path find() {
    String forced = System.getenv("GEARBOX_CHROMIUM");
    if (forced != null && !forced.isBlank()) {
      return Files.isExecutable(Path.of(forced)) ? Path.of(forced) : null;
    }
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String name : List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")) {
      for (String dir : path.split(java.io.File.pathSeparator)) {
        Path p = Path.of(dir, name);
        if (Files.isExecutable(p)) {
          return p;
        }
      }
    }
    return null;
  }

  /**
   * Starts a headless browser on {@code page}, its profile in {@code profile} (an empty directory).
   *
   * @throws IllegalStateException if there is no browser ({@link #INSTALL} says what to do) or it does not start
   */
  public static Browser open(URI page, Path profile, int width, int height) throws IOException, InterruptedException {
    Path binary = find();
    if (binary == null) {
      throw new IllegalStateException(INSTALL);
    }
    List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
        "--remote-debugging-port=0", "--remote-allow-origins=*", "--user-data-dir=" + profile,
        "--window-size=" + width + "," + height, page.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(profile.resolve("browser.log").toFile());
    // Chromium keeps its single-instance socket in a directory of its own under the temporary
    // directory, removed only when it exits cleanly: under the profile, it goes with the profile
    // even though close() kills the browser.
    pb.environment().put("TMPDIR", Files.createDirectories(profile.resolve("tmp")).toString());
    Process p = pb.start();
    try {
      Path portFile = profile.resolve("DevToolsActivePort");
      long deadline = System.nanoTime() + STARTUP.toNanos();
      while (!Files.isRegularFile(portFile) || Files.readAllLines(portFile).size() < 2) {
        if (!p.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("Chromium (" + binary + ") did not start: " + tail(profile.resolve("browser.log")));
        }
        Thread.sleep(20);
      }
      int port = Integer.parseInt(Files.readAllLines(portFile).get(0).strip());
      HttpClient http = HttpClient.newHttpClient();
      String ws = null;
      while (ws == null) {
        String list = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        for (Object target : (List<?>) Json.read(list)) {
          Map<?, ?> t = (Map<?, ?>) target;
          if (ws == null && "page".equals(t.get("type")) && t.get("webSocketDebuggerUrl") instanceof String url) {
            ws = url;
          }
        }
        if (ws == null) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("Chromium opened no page: " + list);
          }
          Thread.sleep(20);
        }
      }
      Receiver receiver = new Receiver();
      WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create(ws), receiver).get(STARTUP.toSeconds(), TimeUnit.SECONDS);
      Browser b = new Browser(p, socket);
      receiver.browser = b;
      b.call("Emulation.setDeviceMetricsOverride", "{\"width\":" + width + ",\"height\":" + height
          + ",\"deviceScaleFactor\":1,\"mobile\":false}");
      return b;
    } catch (IOException | InterruptedException | RuntimeException e) {
      kill(p);
      throw e;
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      kill(p);
      throw new IllegalStateException("cannot reach Chromium's DevTools: " + e, e);
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Evaluates {@code expression} in the page; returns its value as a string ({@code String(value)}), or null. */
  public String eval(String expression) {
    String wrapped = "(() => { const v = (" + expression + "); return v == null ? null : String(v); })()";
    Map<String, Object> result = result(call("Runtime.evaluate", "{\"expression\":" + Json.write(wrapped)
        + ",\"returnByValue\":true}"));
    if (result.containsKey("exceptionDetails")) {
      throw new IllegalStateException("the page threw evaluating " + expression + ": " + result);
    }
    Object value = ((Map<?, ?>) result.get("result")).get("value");
    return value == null ? null : value.toString();
  }

  /** Saves a PNG of the page as it is now. */
  public void screenshot(Path png) throws IOException {
    Object data = result(call("Page.captureScreenshot", "{\"format\":\"png\"}")).get("data");
    if (!(data instanceof String base64)) {
      throw new IllegalStateException("no screenshot from Chromium");
    }
    Files.write(png, Base64.getDecoder().decode(base64));
  }

  /** The {@code result} of a DevTools answer; throws for an {@code error}. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> result(String answer) {
    Map<String, Object> m = (Map<String, Object>) Json.read(answer);
    if (m.containsKey("error")) {
      throw new IllegalStateException("Chromium refused: " + m.get("error"));
    }
    return (Map<String, Object>) m.get("result");
  }

  private String call(String method, String params) {
    int id = ids.incrementAndGet();
    CompletableFuture<String> f = new CompletableFuture<>();
    calls.put(id, f);
    socket.sendText("{\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + params + "}", true).join();
    try {
      return f.get(CALL.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for " + method, e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("Chromium did not answer " + method + ": " + e, e);
    } finally {
      calls.remove(id);
    }
  }

  /** Collects a message's fragments; hands each whole answer to the call that waits for it. */
  private static final class Receiver implements WebSocket.Listener {
    private static final Pattern ID = Pattern.compile("^\\{\"id\":(\\d+)");
    private final StringBuilder message = new StringBuilder();
    volatile Browser browser;

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      message.append(data);
      if (last) {
        String m = message.toString();
        message.setLength(0);
        Matcher id = ID.matcher(m);
        Browser b = browser;
        if (id.find() && b != null) {
          CompletableFuture<String> f = b.calls.get(Integer.parseInt(id.group(1)));
          if (f != null) {
            f.complete(m);
          }
        }
      }
      ws.request(1);
      return null;
    }
  }

  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Ends the browser and every process it started. */
  @Override
  public void close() {
    try {
      socket.abort();
    } finally {
      List<ProcessHandle> all = process.descendants().toList();
      all.forEach(ProcessHandle::destroyForcibly);
      kill(process);
      for (ProcessHandle h : all) {
        h.onExit().completeOnTimeout(h, 10, TimeUnit.SECONDS).join();
      }
    }
  }
}
