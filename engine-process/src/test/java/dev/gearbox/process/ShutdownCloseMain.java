package dev.gearbox.process;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A JVM that closes its engine (keep-warm on) from a shutdown hook, as an application's
 * {@code @PreDestroy} does: writes the worker's pid, then {@code closed} or {@code failed: ...}.
 */
public final class ShutdownCloseMain {
  private ShutdownCloseMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    Engine engine = Engine.open(EngineConfig.newBuilder().backend("process").workers(1)
        .option("gearbox.process.keep-warm", "60s").build());
    Files.writeString(dir.resolve("pid"), Long.toString(engine.submit(FaultTasks.pid()).get()));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      String outcome;
      try {
        engine.close();
        outcome = "closed";
      } catch (Throwable t) {
        outcome = "failed: " + t;
      }
      try {
        Files.writeString(dir.resolve("outcome"), outcome);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }));
    System.exit(0);
  }
}
