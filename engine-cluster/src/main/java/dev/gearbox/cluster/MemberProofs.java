package dev.gearbox.cluster;

import com.codahale.metrics.Counter;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.ExecutionCallback;
import com.hazelcast.core.IExecutorService;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits a member to run this engine's tasks only once it has proved that it holds the
 * deployment secret: the engine sends it a {@link ProofRequest} with a fresh challenge and checks
 * the answer. A member that fails (a plain Hazelcast member, one with another secret, one that
 * cannot answer) gets no task, is logged at WARN with the reason and the fix, and counted
 * ({@code cluster.members-refused}); the last few are kept for the open's error message. The
 * engine's own member needs no proof: it is this JVM.
 *
 * <p>Thread-safe: the list of refusals is guarded by itself; answers are checked on the report
 * executor, never on a Hazelcast thread.
 */
final class MemberProofs {
  /** The cluster backend's category: one logger setting (dev.gearbox.cluster.ClusterBackend) covers all its messages. */
  private static final Logger log = LoggerFactory.getLogger(ClusterBackend.class);
  private static final int REFUSALS_KEPT = 8;

  private final String owner;
  private final Seal seal;
  private final IExecutorService control;
  private final Executor reports;
  private final Counter refusedMembers;
  /** The last members refused, with the reason, oldest first. Guarded by itself. */
  private final ArrayDeque<String> refused = new ArrayDeque<>();

  MemberProofs(String owner, Seal seal, IExecutorService control, Executor reports, Counter refusedMembers) {
    this.owner = owner;
    this.seal = seal;
    this.control = control;
    this.reports = reports;
    this.refusedMembers = refusedMembers;
  }

  /** Challenges {@code m}; runs {@code admit} on the report executor if it proves it holds the secret. Does not block. */
  void challenge(Member m, Runnable admit) {
    byte[] challenge = Seal.randomBytes(ProofRequest.CHALLENGE_BYTES);
    ExecutionCallback<byte[]> answer = new ExecutionCallback<>() {
      @Override
      public void onResponse(byte[] proof) {
        reports.execute(() -> {
          if (Seal.matches(ProofRequest.proof(seal, owner, challenge, m.getUuid()), proof)) {
            admit.run();
          } else {
            refuse(m, "its proof does not match: it holds another deployment secret");
          }
        });
      }

      @Override
      public void onFailure(Throwable t) {
        reports.execute(() -> {
          if (ClusterFailures.isMemberLoss(t)) {
            log.debug("Gearbox: {} left before it proved that it holds the deployment secret", MemberRuntime.describe(m));
          } else {
            refuse(m, "it could not prove that it holds one: " + rootMessage(t));
          }
        });
      }
    };
    try {
      control.submitToMember(new ProofRequest(owner, challenge), m, answer);
    } catch (RuntimeException e) {
      answer.onFailure(e);
    }
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c instanceof ClassNotFoundException || String.valueOf(c.getMessage()).contains(ProofRequest.class.getName())
        ? "it does not have Gearbox's cluster module (a plain Hazelcast member)" : String.valueOf(c.getMessage());
  }

  private void refuse(Member m, String why) {
    refusedMembers.inc();
    String line = MemberRuntime.describe(m) + ": " + why;
    synchronized (refused) {
      refused.addLast(line);
      if (refused.size() > REFUSALS_KEPT) {
        refused.pollFirst();
      }
    }
    log.warn("Gearbox: {} gets no tasks: it did not prove that it holds the deployment secret ({}). Start every member"
        + " with WorkerMember and the engine's secret ({} or {})", line, why, ClusterConfig.SECRET_ENV, ClusterConfig.SECRET_FILE);
  }

  /** The last members refused, with why, oldest first. */
  List<String> refused() {
    synchronized (refused) {
      return List.copyOf(refused);
    }
  }
}
