package dev.gearbox.view;

import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code gearbox top}: an engine's dashboard in the terminal. Reads the snapshot from the JSON
 * endpoint of an engine's web view ({@code gearbox.dashboard.port}) once a second and redraws:
 * counts, workers or members, and the tasks running and queued.
 *
 * <pre>
 * gearbox top 8080                      # http://127.0.0.1:8080/
 * gearbox top http://host:8080/ --once  # print once and exit (for scripts)
 * </pre>
 */
public final class Top {
  private static final String CLEAR = "\033[H\033[2J";

  private Top() {}

  public static void main(String[] args) throws Exception {
    String target = null;
    boolean once = false;
    int rows = 20;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--once" -> once = true;
        case "--rows" -> rows = Integer.parseInt(args[++i]);
        case "-h", "--help" -> {
          System.out.println("usage: gearbox top PORT|URL [--once] [--rows N]\n"
              + "  Shows the engine whose dashboard listens there (gearbox.dashboard.port), refreshed every second.");
          return;
        }
        default -> target = args[i];
      }
    }
    if (target == null) {
      System.err.println("gearbox top: give the dashboard's port or address (gearbox.dashboard.port), e.g. gearbox top 8080");
      System.exit(2);
    }
    URI base = URI.create(target.matches("\\d+") ? "http://127.0.0.1:" + target + "/" : target.endsWith("/") ? target : target + "/");
    URI api = base.resolve("api/snapshot?max=" + rows);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    boolean terminal = !once && dev.gearbox.ProgressBar.terminal("top").isDrawn();
    do {
      String text;
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(api).timeout(Duration.ofSeconds(5)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        text = r.statusCode() == 200 ? render(r.body(), Instant.now()) : "gearbox top: " + api + " answered " + r.statusCode();
      } catch (java.io.IOException e) {
        text = "gearbox top: cannot reach " + api + " (" + e + "); is the engine running with gearbox.dashboard.port?";
        if (once) {
          System.err.println(text);
          System.exit(1);
        }
      }
      PrintStream out = System.out;
      out.print((terminal ? CLEAR : "") + text);
      out.flush();
      if (!once) {
        Thread.sleep(1_000);
      }
    } while (!once);
  }

  /** The screen for one snapshot (the JSON of {@link SnapshotJson}). */
  @SuppressWarnings("unchecked")
  static String render(String json, Instant now) {
    Map<String, Object> s = (Map<String, Object>) Json.read(json);
    Map<String, Object> c = (Map<String, Object>) s.get("counts");
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "gearbox top · engine %s · %s backend · %s%n", s.get("engine"), s.get("backend"), s.get("takenAt")));
    b.append(String.format(Locale.ROOT, "running %s  queued %s  in flight %s  |  submitted %s  completed %s  failed %s  cancelled %s  retried %s  timed out %s%n%n",
        n(c.get("running")), n(c.get("queued")), n(c.get("inFlight")), n(c.get("submitted")), n(c.get("completed")),
        n(c.get("failed")), n(c.get("cancelled")), n(c.get("retried")), n(c.get("timedOut"))));
    List<Map<String, Object>> maps = (List<Map<String, Object>>) s.get("maps");
    for (Map<String, Object> m : maps) {
      b.append(String.format(Locale.ROOT, "map #%s  %s%s  %.1f/s%n", n(m.get("id")), n(m.get("done")),
          m.get("total") == null ? "" : " / " + n(m.get("total")), (Double) m.get("ratePerSecond")));
    }
    List<Map<String, Object>> workers = (List<Map<String, Object>>) s.get("workers");
    if (!workers.isEmpty()) {
      b.append(String.format(Locale.ROOT, "%-38s %-22s %-20s %7s %8s %9s%n", "WORKER", "PID/ADDRESS", "STATE", "TASKS", "HEAP", "UP"));
      for (Map<String, Object> w : workers) {
        b.append(String.format(Locale.ROOT, "%-38s %-22s %-20s %7s %8s %9s%n", cut(w.get("id"), 38),
            cut(w.get("pid") != null ? "pid " + n(w.get("pid")) : w.get("address"), 22), cut(w.get("state"), 20),
            n(w.get("tasksDone")), w.get("heapUsedBytes") == null ? "" : (long) ((Double) w.get("heapUsedBytes") / 1048576) + " MB",
            since(w.get("startedAt"), now)));
        if (w.get("lastCrash") != null) {
          b.append("  last crash: ").append(cut(w.get("lastCrash"), 200)).append('\n');
        }
      }
      b.append('\n');
    }
    b.append(String.format(Locale.ROOT, "%8s %-28s %-10s %4s %-24s %9s %s%n", "ID", "NAME", "STATE", "TRY", "WHERE", "RUNNING", "PROGRESS"));
    for (Map<String, Object> t : (List<Map<String, Object>>) s.get("tasks")) {
      Object p = t.get("progress");
      b.append(String.format(Locale.ROOT, "%8s %-28s %-10s %4s %-24s %9s %s%n", n(t.get("id")), cut(t.get("name"), 28),
          "RUNNING".equals(t.get("state")) && t.get("startedAt") == null ? (t.get("where") == null ? "STARTING" : "SENT")
              : t.get("state"), n(t.get("attempt")), cut(t.get("where"), 24), since(t.get("startedAt"), now),
          p == null ? "" : Math.round((Double) p * 100) + "% " + (t.get("progressMessage") == null ? "" : t.get("progressMessage"))));
    }
    double notListed = (Double) s.get("tasksNotListed");
    if (notListed > 0) {
      b.append(String.format(Locale.ROOT, "... and %d more queued%n", (long) notListed));
    }
    return b.toString();
  }

  private static String n(Object v) {
    return v instanceof Double d ? Long.toString(d.longValue()) : String.valueOf(v);
  }

  private static String cut(Object v, int width) {
    String s = v == null ? "" : String.valueOf(v);
    return s.length() <= width ? s : s.substring(0, width - 1) + "…";
  }

  private static String since(Object iso, Instant now) {
    if (iso == null) {
      return "";
    }
    long ms = Duration.between(Instant.parse((String) iso), now).toMillis();
    return ms < 60_000 ? String.format(Locale.ROOT, "%.1f s", ms / 1000.0) : ms / 60_000 + " m " + ms / 1000 % 60 + " s";
  }
}
