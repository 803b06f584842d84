package dev.gearbox.cluster;

import com.codahale.metrics.Counter;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.ExecutionCallback;
import com.hazelcast.core.IExecutorService;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
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
  /** How often a proof that failed without an answer (timeout, overload, a rejected call) is asked again, and how far apart. */
  private static final int TRIES = 3;
  private static final long RETRY_MILLIS = 500;

  private final String owner;
  private final Seal seal;
  private final IExecutorService control;
  private final Executor reports;
  private final Counter refusedMembers;
  /** The last members refused, with the reason, oldest first. Guarded by itself. */
  private final ArrayDeque<String> refused = new ArrayDeque<>();
  /** Proofs asked and not yet settled (admitted, refused, or the member left). Guarded by {@link #refused}. */
  private int pending;

  MemberProofs(String owner, Seal seal, IExecutorService control, Executor reports, Counter refusedMembers) {
    this.owner = owner;
    this.seal = seal;
    this.control = control;
    this.reports = reports;
    this.refusedMembers = refusedMembers;
  }

  /** Challenges {@code m}; runs {@code admit} on the report executor if it proves it holds the secret. Does not block. */
  void challenge(Member m, Runnable admit) {
    synchronized (refused) {
      pending++;
    }
    ask(m, admit, 1);
  }

  private void ask(Member m, Runnable admit, int attempt) {
    byte[] challenge = Seal.randomBytes(ProofRequest.CHALLENGE_BYTES);
    ExecutionCallback<byte[]> answer = new ExecutionCallback<>() {
      @Override
      public void onResponse(byte[] proof) {
        reports.execute(() -> {
          try {
            if (Seal.matches(ProofRequest.proof(seal, owner, challenge, m.getUuid()), proof)) {
              admit.run();
            } else {
              refuse(m, "its proof does not match: it holds another deployment secret");
            }
          } finally {
            settled();
          }
        });
      }

      @Override
      public void onFailure(Throwable t) {
        reports.execute(() -> {
          if (ClusterFailures.isMemberLoss(t)) {
            log.debug("Gearbox: {} left before it proved that it holds the deployment secret", MemberRuntime.describe(m));
            settled();
          } else if (attempt < TRIES && !(rootCause(t) instanceof ClassNotFoundException)) {
            // No answer is no proof either way (overload, a call refused for a while): ask again before refusing.
            CompletableFuture.delayedExecutor(RETRY_MILLIS, TimeUnit.MILLISECONDS, reports).execute(() -> ask(m, admit, attempt + 1));
          } else {
            refuse(m, "it could not prove that it holds one: " + rootMessage(t));
            settled();
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

  private static Throwable rootCause(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c;
  }

  private static String rootMessage(Throwable t) {
    Throwable c = rootCause(t);
    return c instanceof ClassNotFoundException || String.valueOf(c.getMessage()).contains(ProofRequest.class.getName())
        ? "it does not have Gearbox's cluster module (a plain Hazelcast member)" : Refusals.clean(String.valueOf(c.getMessage()));
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

  private void settled() {
    synchronized (refused) {
      pending--;
      refused.notifyAll();
    }
  }

  /**
   * Waits, by {@code deadline}, until every proof asked so far is settled: at open, so that the
   * engine's dispatch limit counts every member present, not only the first to prove itself.
   * Returns how many are still pending.
   */
  int awaitSettled(long deadline) {
    boolean interrupted = false;
    try {
      synchronized (refused) {
        while (pending > 0) {
          long wait = deadline - System.nanoTime();
          if (wait <= 0) {
            break;
          }
          try {
            TimeUnit.NANOSECONDS.timedWait(refused, wait);
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
        return pending;
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The last members refused, with why, oldest first. */
  List<String> refused() {
    synchronized (refused) {
      return List.copyOf(refused);
    }
  }
}
