package dev.gearbox.process;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;

/** A parent JVM for the parent-death test: starts two workers busy with blocking tasks, then waits to be killed. */
public final class ParentMain {
  private ParentMain() {}

  public static void main(String[] args) throws Exception {
    String dir = args[0];
    Engine engine = Engine.open(EngineConfig.newBuilder().backend("process").workers(2).build());
    engine.submit(FaultTasks.reportPidAndBlock(dir, 1));
    engine.submit(FaultTasks.reportPidAndBlock(dir, 2));
    new java.util.concurrent.CountDownLatch(1).await(); // the test kills this JVM with SIGKILL; nothing else ends it
  }
}
