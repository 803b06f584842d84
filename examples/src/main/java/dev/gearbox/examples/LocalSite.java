package dev.gearbox.examples;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A web site on loopback for the I/O examples: {@code /page/N} answers after a simulated latency
 * with a page whose size depends only on N, so a crawler's total can be checked. Each request
 * waits on a virtual thread, so the site itself is never the bottleneck.
 */
final class LocalSite implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();

  LocalSite(Duration latency) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
    server.setExecutor(handlers);
    server.createContext("/page/", exchange -> {
      try (exchange) {
        int n;
        try {
          n = Integer.parseInt(exchange.getRequestURI().getPath().substring("/page/".length()));
        } catch (NumberFormatException e) {
          exchange.sendResponseHeaders(400, -1);
          return;
        }
        Thread.sleep(latency);
        byte[] body = page(n);
        exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    server.start();
  }

  String url(int page) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/page/" + page;
  }

  /** The page the site serves for {@code n}: 1 to 4 KB of HTML. */
  static byte[] page(int n) {
    StringBuilder sb = new StringBuilder("<html><body><h1>page ").append(n).append("</h1>");
    int paragraphs = 8 + Math.floorMod(n * 2_654_435_761L, 24);
    for (int i = 0; i < paragraphs; i++) {
      sb.append("<p>Paragraph ").append(i).append(" of page ").append(n).append(": the quick brown fox.</p>\n");
    }
    return sb.append("</body></html>").toString().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    server.stop(0);
    handlers.shutdownNow();
  }

  /** The HTTP client of this JVM (one per worker process, made on first use). */
  static final class Client {
    private static final HttpClient CLIENT = HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(10)).version(HttpClient.Version.HTTP_1_1).build();

    private Client() {}

    static HttpClient get() {
      return CLIENT;
    }

    static HttpRequest request(String url) {
      return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build();
    }

    /** Fetches {@code url} and returns the size of its body in bytes. */
    static int fetch(String url) throws IOException, InterruptedException {
      HttpResponse<byte[]> r = CLIENT.send(request(url), HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        throw new IOException(url + " answered " + r.statusCode());
      }
      return r.body().length;
    }
  }
}
