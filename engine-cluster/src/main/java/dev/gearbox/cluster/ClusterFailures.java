package dev.gearbox.cluster;

import com.hazelcast.client.HazelcastClientNotActiveException;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.nio.serialization.HazelcastSerializationException;
import com.hazelcast.spi.exception.TargetDisconnectedException;
import com.hazelcast.spi.exception.TargetNotMemberException;
import dev.gearbox.EngineException;
import dev.gearbox.WorkerCrashedException;
import dev.gearbox.spi.Attempt;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What Hazelcast's failures mean for an attempt, in words: a member that left (the attempt is
 * lost with it, a {@link WorkerCrashedException} that counts towards poison), the engine's own
 * instance stopping, a class missing on a member, a member that refused the task.
 *
 * <p>Stateless and thread-safe.
 */
final class ClusterFailures {
  /** The tail of a WorkerCrashedException: a member's output is not collected by the engine. */
  static final String NO_TAIL = "(not collected: a member's output stays in that member's own log)";

  private ClusterFailures() {}

  /** The failure under Hazelcast's and the JDK's wrappers. */
  static Throwable unwrap(Throwable t) {
    while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /** Whether {@code t} says the member that held the task left (or is leaving) the cluster. */
  static boolean isMemberLoss(Throwable t) {
    Throwable root = unwrap(t);
    return root instanceof MemberLeftException || root instanceof TargetNotMemberException
        || root instanceof TargetDisconnectedException;
  }

  /** The attempt was lost because the member running it left the cluster. */
  static WorkerCrashedException memberLeft(Attempt a, String label, Throwable cause) {
    return new WorkerCrashedException(a.taskId(), a.taskName(), label, "the cluster member running it left the cluster"
        + " (it crashed, was killed or shut down, or lost its network)", null, NO_TAIL, cause);
  }

  /** The attempt was lost because the engine halted its member ({@code gearbox.cluster.kill=member}). */
  static WorkerCrashedException halted(Attempt a, String label, String why) {
    return new WorkerCrashedException(a.taskId(), a.taskName(), label, "killed by the engine: it " + why
        + ", so its member was halted (gearbox.cluster.kill=member)", null, NO_TAIL, null);
  }

  /**
   * What to report an attempt with whose Hazelcast call or future failed with {@code t}.
   *
   * @param label the member it ran on, as messages name it
   * @param stoppedOnItsOwn if the engine's instance stopped and not by the engine's close: marks
   *     the instance gone and returns why; else null
   * @param closing whether the engine is leaving the cluster
   */
  static EngineException translate(Attempt a, String label, Throwable t, Supplier<String> stoppedOnItsOwn,
      BooleanSupplier closing) {
    Throwable root = unwrap(t);
    if (isMemberLoss(root)) {
      return memberLeft(a, label, root);
    }
    boolean notActive = root instanceof HazelcastInstanceNotActiveException || root instanceof HazelcastClientNotActiveException;
    if (notActive) {
      String gone = stoppedOnItsOwn.get(); // the attempts it held fail with the reason (the lifecycle event may come later)
      if (gone != null) {
        return new EngineException(a.taskId(), a.taskName(), gone, root);
      }
    }
    if (closing.getAsBoolean() || notActive) {
      return new EngineException(a.taskId(), a.taskName(), "the cluster backend shut down before " + label + " reported it", root);
    }
    if (root instanceof HazelcastSerializationException) {
      for (Throwable c = root; c != null; c = c.getCause()) {
        if (c instanceof ClassNotFoundException cnf) {
          return new EngineException(a.taskId(), a.taskName(), "class " + cnf.getMessage() + " is not on the classpath of "
              + label + ". Gearbox's cluster module and the task classes must be on every member's classpath: start"
              + " members with java -cp <application classpath> dev.gearbox.cluster.WorkerMember", root);
        }
      }
    }
    if (root instanceof RejectedExecutionException) {
      return new EngineException(a.taskId(), a.taskName(), label + " rejected it: " + root.getMessage(), root);
    }
    return new EngineException(a.taskId(), a.taskName(), label + " could not run it: " + root, root);
  }
}
