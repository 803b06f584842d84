package dev.gearbox.examples;

import dev.gearbox.Engine;
import dev.gearbox.ProgressBar;
import dev.gearbox.TaskFuture;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * I/O-bound work: fetches pages from a site on loopback that answers after a simulated latency.
 * Throughput is set by how many requests can wait at once, not by cores: virtual threads and
 * async stages wait by the thousand, a pool of two threads or two processes waits two at a time.
 */
@Command(name = "crawl", mixinStandardHelpOptions = true,
    description = "I/O-bound: fetch pages from a local HTTP server with latency; why waiting wants async, not processes.")
final class CrawlExample extends Example {
  @Option(names = "--pages", description = "pages to fetch (default: ${DEFAULT-VALUE})")
  int pages = 1_000;

  @Option(names = "--latency", description = "the site's answer time (default: ${DEFAULT-VALUE})")
  Duration latency = Duration.ofMillis(50);

  @Option(names = "--async", description = "fetch with HttpClient.sendAsync through submitAsync (no thread waits on the async backend)")
  boolean async;

  @Override
  String name() {
    return "crawl";
  }

  @Override
  String shows() {
    return "waiting work scales with how many tasks can wait at once, not with cores";
  }

  @Override
  String lesson() {
    return "Waiting work scales with how many tasks may wait at once: async lets every request wait together; two threads or two processes wait two at a time.";
  }

  @Override
  void shrink() {
    pages = 100;
    latency = Duration.ofMillis(20);
  }

  @Override
  Summary run(Engine engine, PrintWriter out) throws Exception {
    if (pages < 1 || latency.isNegative()) {
      throw badFlag("--pages must be at least 1 and --latency not negative");
    }
    try (LocalSite site = new LocalSite(latency)) {
      long expected = 0;
      for (int i = 0; i < pages; i++) {
        expected += LocalSite.page(i).length;
      }
      // One at a time in this thread, on a few pages: the baseline of the same run (after a few
      // untimed fetches, so that it does not pay for loading the HTTP client).
      int sample = Math.min(10, pages);
      for (int i = 0; i < 3; i++) {
        LocalSite.Client.fetch(site.url(i));
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < sample; i++) {
        LocalSite.Client.fetch(site.url(i));
      }
      double perPage = seconds(t0) / sample;

      ProgressBar bar = Bars.of("crawl");
      long t1 = System.nanoTime();
      List<TaskFuture<Integer>> futures = new ArrayList<>(pages);
      java.util.concurrent.atomic.AtomicLong completed = new java.util.concurrent.atomic.AtomicLong();
      for (int i = 0; i < pages; i++) {
        String url = site.url(i);
        TaskFuture<Integer> f = async
            ? engine.submitAsync(ctx -> LocalSite.Client.get()
                .sendAsync(LocalSite.Client.request(url), HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(r -> r.body().length))
            : engine.submit(ctx -> LocalSite.Client.fetch(url));
        f.whenComplete((r, e) -> bar.update(completed.incrementAndGet(), pages));
        futures.add(f);
      }
      long bytes = 0;
      for (TaskFuture<Integer> f : futures) {
        bytes += f.get();
      }
      bar.finish();
      double elapsed = seconds(t1);
      if (bytes != expected) {
        throw new IOException("fetched " + bytes + " bytes but the site served " + expected);
      }
      double rate = pages / elapsed;
      double speedup = perPage * pages / elapsed;
      return new Summary(String.format(java.util.Locale.ROOT, "%,d pages, %d ms latency each%s", pages,
          latency.toMillis(), async ? ", fetched with sendAsync" : ""))
          .row("pages fetched", "%,d (%,d bytes, checked)", pages, bytes)
          .row("time on " + engine.backendName(), "%.2f s (%,.0f pages/s)", elapsed, rate)
          .row("one at a time (measured)", "%.1f ms per page (%,.0f pages/s)", perPage * 1000, 1 / perPage)
          .row("speedup", "%.1fx (about %.0f requests waiting at once)", speedup, speedup)
          .headline("%,.0f pages/s, %.1fx", rate, speedup)
          .note(engine.parallelism() > 4 * Runtime.getRuntime().availableProcessors()
              ? "Requests wait, they do not compute: this level lets many wait at once, far beyond the core count."
              : "Each task holds a thread (or a whole process) while it waits; here that allows "
                  + describeParallelism(engine) + ". Try --backend async.");
    }
  }
}
