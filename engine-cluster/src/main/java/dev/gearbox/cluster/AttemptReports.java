package dev.gearbox.cluster;

import dev.gearbox.EngineException;
import dev.gearbox.WorkerCrashedException;
import dev.gearbox.spi.Attempt;
import dev.gearbox.spi.remote.CrashLedger;
import dev.gearbox.spi.remote.Payloads;
import dev.gearbox.spi.remote.ReportExecutor;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.nio.charset.StandardCharsets;

/**
 * How the cluster backend tells the core that an attempt ended: a member's answer authenticated
 * and decoded (a tag byte from {@link MemberRuntime} and a payload read by {@link Payloads}), or a failure, where an
 * attempt lost with its member counts towards poison ({@link CrashLedger}). A member's answer
 * closes its task's run of crashes; an attempt that ends without one (never sent, the instance
 * gone, the backend shut down) leaves the count as it is: it says nothing about the task. Reports run on the {@link ReportExecutor}, never on a
 * Hazelcast thread, because reporting runs the caller's callbacks; the methods without
 * {@code Later} are called there already.
 *
 * <p>Thread-safe: it holds no state of its own, and its parts are thread-safe.
 */
final class AttemptReports {
  private final Payloads payloads;
  private final CrashLedger crashes;
  private final ReportExecutor reports;
  private final Seal seal;
  private final String owner;
  private final Refusals refused;

  /**
   * @param owner the engine's id, to which members seal their answers
   * @param refused counts answers that fail authentication
   */
  AttemptReports(Payloads payloads, CrashLedger crashes, ReportExecutor reports, Seal seal, String owner, Refusals refused) {
    this.payloads = payloads;
    this.crashes = crashes;
    this.reports = reports;
    this.seal = seal;
    this.owner = owner;
    this.refused = refused;
  }

  /**
   * Reports a member's sealed answer from {@code label} ({@link Answers}): checked against the
   * secret before anything in it is decoded. A refusal (the member would not run the envelope) or
   * an answer that fails authentication ends the attempt with an {@link EngineException} saying so.
   * A task whose worker process died on an isolated member is reported as {@link #lost}: that
   * crash counts towards its poison threshold.
   */
  void answered(Attempt a, long wireId, String label, byte[] response) {
    String refusal = Answers.refusalOf(response);
    if (refusal != null) {
      a.lost(new EngineException(a.taskId(), a.taskName(), Refusals.clean(refusal) + " (an unauthenticated refusal from "
          + label + ")", null));
      return;
    }
    Answers.Opened answer;
    try {
      answer = Answers.open(seal, owner, wireId, a.number(), response);
    } catch (GeneralSecurityException e) {
      String why = "the answer from " + label + " failed authentication (" + e.getMessage() + ") and was discarded: a"
          + " member with another deployment secret (" + ClusterConfig.SECRET + "), or a forged answer";
      refused.refused("task " + a.taskName() + ": " + why);
      a.lost(new EngineException(a.taskId(), a.taskName(), why, null));
      return;
    }
    byte[] data = answer.data();
    int at = answer.offset();
    if (data[at] == MemberRuntime.CRASHED) {
      crashedOnMember(a, label, data, at);
      return;
    }
    crashes.ended(a.taskId());
    switch (data[at]) {
      case MemberRuntime.OK -> payloads.reportResult(a, data, at + 1, label);
      case MemberRuntime.FAILED -> payloads.reportFailure(a, data, at + 1, label);
      case MemberRuntime.CANNOT_RUN -> a.lost(new EngineException(a.taskId(), a.taskName(), new String(data, at + 1,
          data.length - at - 1, StandardCharsets.UTF_8), null));
      case MemberRuntime.CANCELLED -> a.lost(new EngineException(a.taskId(), a.taskName(), "cancelled before it started on "
          + label, null));
      default -> a.failed(Payloads.unreadable(a, label, new IOException("unknown result tag " + data[at])));
    }
  }

  private void crashedOnMember(Attempt a, String label, byte[] data, int at) {
    WorkerCrashedException crash;
    try {
      crash = CrashedAnswer.decode(a, label, data, at);
    } catch (IOException e) {
      a.failed(Payloads.unreadable(a, label, e));
      return;
    }
    lost(a, crash);
  }

  /**
   * Reports an attempt lost: with its member ({@link WorkerCrashedException}), counted in its
   * task's run of crashes, which fails it as poison after {@code poison-threshold} of them in a row
   * (the task may be what kills them: System.exit, a crash), so retries cannot take down the whole
   * cluster; otherwise as {@link #ended}.
   */
  void lost(Attempt a, EngineException e) {
    if (e instanceof WorkerCrashedException crash) {
      a.lost(crashes.crashed(a, crash));
    } else {
      ended(a, e);
    }
  }

  /** Reports an attempt that ended without an answer from a member, and without its member leaving. */
  void ended(Attempt a, EngineException e) {
    a.lost(e);
  }

  /** Reports, on the report executor, an attempt that ended without its member leaving, and why. */
  void endedLater(Attempt a, String why) {
    reports.execute(() -> ended(a, new EngineException(a.taskId(), a.taskName(), why, null)));
  }
}
