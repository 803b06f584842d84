package dev.gearbox.cluster;

import dev.gearbox.EngineException;
import dev.gearbox.WorkerCrashedException;
import dev.gearbox.spi.Attempt;
import dev.gearbox.spi.remote.CrashLedger;
import dev.gearbox.spi.remote.Payloads;
import dev.gearbox.spi.remote.ReportExecutor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * How the cluster backend tells the core that an attempt ended: a member's answer decoded (a tag
 * byte from {@link MemberRuntime} and a payload read by {@link Payloads}), or a failure, where an
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

  AttemptReports(Payloads payloads, CrashLedger crashes, ReportExecutor reports) {
    this.payloads = payloads;
    this.crashes = crashes;
    this.reports = reports;
  }

  /**
   * Reports a member's encoded answer from {@code label}. A task whose worker process died on an
   * isolated member is reported as {@link #lost}: that crash counts towards its poison threshold.
   */
  void answered(Attempt a, String label, byte[] response) {
    if (response[0] == MemberRuntime.CRASHED) {
      crashedOnMember(a, label, response);
      return;
    }
    crashes.ended(a.taskId());
    switch (response[0]) {
      case MemberRuntime.OK -> payloads.reportResult(a, response, 1, label);
      case MemberRuntime.FAILED -> payloads.reportFailure(a, response, 1, label);
      case MemberRuntime.CANNOT_RUN -> a.lost(new EngineException(a.taskId(), a.taskName(), new String(response, 1,
          response.length - 1, StandardCharsets.UTF_8), null));
      case MemberRuntime.CANCELLED -> a.lost(new EngineException(a.taskId(), a.taskName(), "cancelled before it started on "
          + label, null));
      default -> a.failed(Payloads.unreadable(a, label, new IOException("unknown result tag " + response[0])));
    }
  }

  private void crashedOnMember(Attempt a, String label, byte[] response) {
    WorkerCrashedException crash;
    try {
      crash = CrashedAnswer.decode(a, label, response);
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
