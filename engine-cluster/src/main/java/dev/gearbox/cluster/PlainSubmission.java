package dev.gearbox.cluster;

import com.hazelcast.core.ExecutionCallback;
import com.hazelcast.core.IExecutorService;

/**
 * An attempt's way through Hazelcast's plain executor ({@code gearbox.cluster.executor=plain},
 * the default): submitted to the member the backend chose, its answer or failure handed from the
 * Hazelcast thread that hears it to the backend's report executor ({@link ClusterBackend#step}).
 * A task on a member that leaves is lost with it: the backend reports it when the cluster sees the
 * member leave, and the failure that comes here later finds it reported already.
 *
 * <p>Stateless and thread-safe; {@link #submit} does not block.
 */
final class PlainSubmission {
  private final ClusterBackend backend;
  private final IExecutorService tasks;

  PlainSubmission(ClusterBackend backend, IExecutorService tasks) {
    this.backend = backend;
    this.tasks = tasks;
  }

  void submit(ClusterExecution ex, RemoteTask task, MemberSlots m) {
    try {
      tasks.submitToMember(task, m.member, new ExecutionCallback<byte[]>() {
        @Override
        public void onResponse(byte[] response) {
          backend.step(ex, () -> backend.onOutcome(ex, response, null));
        }

        @Override
        public void onFailure(Throwable t) {
          backend.step(ex, () -> backend.onOutcome(ex, null, t));
        }
      });
    } catch (RuntimeException e) {
      backend.step(ex, () -> backend.onOutcome(ex, null, e));
    }
  }
}
