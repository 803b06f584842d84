package dev.gearbox.sample.boot;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.sample.LaunchCheck;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot application run from its executable jar: its own classes sit in
 * {@code BOOT-INF/classes}, Gearbox and the shared check in {@code BOOT-INF/lib}. Both kinds of
 * task must run on the {@code process} backend.
 */
@SpringBootApplication
public class BootLaunchApp implements CommandLineRunner {

  /** A value of the Boot application's own classes that crosses to the worker and back. */
  record Greeting(String text) implements Serializable {}

  public static void main(String[] args) {
    System.exit(SpringApplication.exit(SpringApplication.run(BootLaunchApp.class, args)));
  }

  @Override
  public void run(String... args) throws Exception {
    try (Engine engine = Engine.open(EngineConfig.load(Map.of("gearbox.backend", "process", "gearbox.workers", "2")))) {
      String name = "boot";
      Greeting greeting = engine.submit(() -> new Greeting("hello from " + name + " in pid " + ProcessHandle.current().pid()))
          .get(60, TimeUnit.SECONDS);
      if (!greeting.text().startsWith("hello from boot in pid ")) {
        throw new IllegalStateException("launch-check failed: boot greeting " + greeting);
      }
      System.out.println("launch-check boot-classes ok " + greeting.text());
    }
    LaunchCheck.run(List.of(args.length > 0 ? args[0] : "process")).forEach(System.out::println);
  }
}
