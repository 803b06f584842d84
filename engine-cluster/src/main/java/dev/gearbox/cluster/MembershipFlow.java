package dev.gearbox.cluster;

import com.codahale.metrics.Counter;
import com.hazelcast.cluster.Cluster;
import com.hazelcast.cluster.InitialMembershipEvent;
import com.hazelcast.cluster.InitialMembershipListener;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import dev.gearbox.EngineException;
import dev.gearbox.spi.Attempt;
import dev.gearbox.spi.remote.ReportExecutor;
import java.util.function.Consumer;

/**
 * What the cluster backend does when members come and go, on Hazelcast's membership thread: a
 * member that runs tasks joins the {@link MemberTable} once it has proved that it holds the
 * deployment secret ({@link MemberProofs}; at once for the engine's own member), and its slots go
 * to parked attempts; a
 * member that leaves takes its attempts with it (with the plain executor, exactly those are
 * reported lost with a {@link dev.gearbox.WorkerCrashedException}, counted towards poison; with
 * the durable one, Hazelcast runs them again from their backups), and when the last one leaves,
 * the parked attempts fail saying so. A member that leaves also ends its tasks' channel calls
 * ({@link ClusterChannels#memberGone}) before its attempts are reported. Each change is one step under the {@link Assignments}'
 * monitor; sends and reports happen after it, and reports on the report executor.
 *
 * <p>Thread-safe: no state of its own.
 */
final class MembershipFlow implements InitialMembershipListener {
  private final String clusterName;
  private final MemberTable members;
  private final Assignments assignments;
  private final ReportExecutor reports;
  private final AttemptReports outcomes;
  private final ProgressRelay progress;
  private final Counter tasksLost;
  private final boolean durable;
  private final Consumer<ClusterExecution> send;
  private final Runnable closeInstance;
  private final MemberProofs proofs;
  private final Cluster cluster;
  private final ClusterChannels channels;

  MembershipFlow(String clusterName, MemberTable members, Assignments assignments, ReportExecutor reports,
      AttemptReports outcomes, ProgressRelay progress, Counter tasksLost, boolean durable, Consumer<ClusterExecution> send,
      Runnable closeInstance, MemberProofs proofs, Cluster cluster, ClusterChannels channels) {
    this.clusterName = clusterName;
    this.members = members;
    this.assignments = assignments;
    this.reports = reports;
    this.outcomes = outcomes;
    this.progress = progress;
    this.tasksLost = tasksLost;
    this.durable = durable;
    this.send = send;
    this.closeInstance = closeInstance;
    this.proofs = proofs;
    this.cluster = cluster;
    this.channels = channels;
  }

  @Override
  public void init(InitialMembershipEvent event) {
    event.getMembers().forEach(m -> joined(m, true));
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    joined(event.getMember(), false);
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    left(event.getMember());
  }

  /** A member joined: this JVM's own is admitted at once, any other once it proves that it holds the secret. */
  private void joined(Member m, boolean initial) {
    if (m.isLiteMember() || "0".equals(m.getAttribute(ClusterConfig.SLOTS_ATTRIBUTE))) {
      return; // runs no tasks
    }
    if (m.localMember()) {
      admit(m, initial);
      return;
    }
    proofs.challenge(m, () -> {
      if (!cluster.getMembers().contains(m)) {
        return; // it left while it proved: nothing to admit
      }
      admit(m, initial);
      if (!cluster.getMembers().contains(m)) {
        left(m); // it left while it proved: its leave may have come first, and found nothing to remove
      }
    });
  }

  private void admit(Member m, boolean initial) {
    MemberSlots ms = members.entryFor(m);
    if (ms == null) {
      return;
    }
    Assignments.Then then = assignments.join(ms);
    if (then == null) {
      return;
    }
    members.announceJoined(ms, initial);
    then.send().forEach(send);
  }

  private void left(Member m) {
    channels.memberGone(m.getUuid()); // before its attempts are reported: elements they never had are back in their channels
    Assignments.Left left = assignments.leave(m.getUuid(), durable);
    if (left == null) {
      return;
    }
    MemberSlots ms = left.member();
    tasksLost.inc(left.lost().size());
    members.announceLeft(ms, left.lost().size(), durable);
    reports.execute(() -> {
      for (ClusterExecution ex : left.lost()) {
        progress.finished(ex.wireId);
        Attempt a = ex.attempt;
        outcomes.lost(a, ClusterFailures.memberLeft(a, ms.label, null));
      }
      for (ClusterExecution ex : left.then().ended()) {
        Attempt a = ex.attempt;
        outcomes.ended(a, new EngineException(a.taskId(), a.taskName(), "no member of cluster '" + clusterName
            + "' can run tasks (the last one, " + ms.label + ", left)", null));
      }
    });
    left.then().send().forEach(send);
    if (left.then().close()) {
      closeInstance.run();
    }
  }
}
