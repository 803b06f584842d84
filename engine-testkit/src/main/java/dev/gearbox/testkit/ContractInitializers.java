package dev.gearbox.testkit;

import dev.gearbox.WorkerInitializer;
import dev.gearbox.testkit.ContractTasks.ContractFailure;
import java.util.UUID;

/**
 * The worker initializers the contract suite configures. Each is serializable and captures only
 * its arguments, so it runs in worker processes and on cluster members as well.
 */
public final class ContractInitializers {
  private ContractInitializers() {}

  /** Appends a line to {@code inits} for each run and returns a state no other run returns. */
  public static WorkerInitializer counting(String dir) {
    return () -> {
      String state = "worker-" + UUID.randomUUID();
      Signals.append(dir, "inits", state);
      return state;
    };
  }

  /** Captures {@code captured}, which may not be serializable. */
  public static WorkerInitializer capturing(Object captured) {
    return () -> captured.toString();
  }

  /** Throws a {@link ContractFailure} with {@code message}. */
  public static WorkerInitializer failing(String message) {
    return new Failing(message);
  }

  /** A named class, so that messages can be checked to name it. */
  record Failing(String message) implements WorkerInitializer {
    private static final long serialVersionUID = 1L;

    @Override
    public Object initialize() {
      throw new ContractFailure(message);
    }
  }

  /** For {@code gearbox.worker.initializer}: a public class with a public no-argument constructor. */
  public static final class Named implements WorkerInitializer {
    private static final long serialVersionUID = 1L;
    public static final String STATE = "made by the named initializer";

    @Override
    public Object initialize() {
      return STATE;
    }
  }
}
