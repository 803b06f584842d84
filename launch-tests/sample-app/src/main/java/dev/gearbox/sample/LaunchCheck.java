package dev.gearbox.sample;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.TaskFuture;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * What any launch of an application must get right: for each backend named, open an engine,
 * run a lambda, a {@code map} and a task that carries and returns this application's own classes,
 * and check where they ran. Prints one line per backend ({@code launch-check backend=B ok ...}) and
 * exits 1 on the first wrong answer.
 *
 * <pre>LaunchCheck BACKEND[,BACKEND...] [--out FILE]</pre>
 */
public final class LaunchCheck {
  private static final long RESULT_TIMEOUT_SECONDS = 60;

  private LaunchCheck() {}

  /** A value of the application's own that crosses to the worker and back. */
  public record Order(int quantity, long pid) implements Serializable {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: LaunchCheck BACKEND[,BACKEND...] [--out FILE]");
      System.exit(2);
    }
    List<String> lines = run(List.of(args[0].split(",")));
    lines.forEach(System.out::println);
    if (args.length == 3 && args[1].equals("--out")) {
      write(Path.of(args[2]), lines);
    }
  }

  /** Runs the check on each backend; returns one line per backend, or throws on the first wrong answer. */
  public static List<String> run(List<String> backends) throws Exception {
    List<String> lines = new ArrayList<>();
    for (String backend : backends) {
      lines.add(check(backend));
    }
    return lines;
  }

  private static String check(String backend) throws Exception {
    long here = ProcessHandle.current().pid();
    try (Engine engine = Engine.open(EngineConfig.load(Map.of("gearbox.backend", backend, "gearbox.workers", "2")))) {
      long pid = await(engine.submit(() -> ProcessHandle.current().pid()));
      int sum;
      try (Stream<Integer> squares = engine.map(x -> x * x, IntStream.rangeClosed(1, 100).boxed().toList())) {
        sum = squares.mapToInt(Integer::intValue).sum();
      }
      Order order = new Order(6, here);
      Order back = await(engine.submit(() -> new Order(order.quantity() * 7, ProcessHandle.current().pid())));
      boolean remote = backend.equals("process"); // the cluster's default member is embedded in this JVM
      expect(sum == 338_350, backend + ": map of squares summed to " + sum);
      expect(back.quantity() == 42, backend + ": the order came back with " + back.quantity());
      expect((pid != here) == remote && (back.pid() != here) == remote,
          backend + ": tasks ran in pid " + pid + " and " + back.pid() + ", the application is " + here);
      return "launch-check backend=" + backend + " ok sum=" + sum + " order=" + back.quantity()
          + " in-another-process=" + remote;
    }
  }

  private static <T> T await(TaskFuture<T> future) throws InterruptedException, ExecutionException, TimeoutException {
    return future.get(RESULT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  private static void expect(boolean condition, String otherwise) {
    if (!condition) {
      throw new IllegalStateException("launch-check failed: " + otherwise);
    }
  }

  private static void write(Path out, List<String> lines) throws IOException {
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.write(out, lines);
  }
}
