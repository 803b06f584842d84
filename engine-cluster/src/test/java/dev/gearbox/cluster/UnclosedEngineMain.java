package dev.gearbox.cluster;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;

/** An application that opens a cluster engine, runs a task and returns from main without closing it. */
public final class UnclosedEngineMain {
  private UnclosedEngineMain() {}

  public static void main(String[] args) throws Exception {
    Engine engine = Engine.open(EngineConfig.newBuilder().backend("cluster").build());
    System.out.println("result " + engine.submit(() -> 42).get());
  }
}
