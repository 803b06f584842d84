package dev.gearbox.cluster;

import com.hazelcast.core.IExecutorService;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

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
  private final Executor reports;

  PlainSubmission(ClusterBackend backend, IExecutorService tasks, Executor reports) {
    this.backend = backend;
    this.tasks = tasks;
    this.reports = reports;
  }

  /**
   * Submits the task, and reports its answer on the report executor, handed straight from the
   * thread that hears it. Not through an {@code ExecutionCallback}: Hazelcast runs those on its
   * default async executor, which on a machine of 2 cores or fewer (a common pool of parallelism
   * 1) starts a new thread for every answer.
   */
  @SuppressWarnings("unchecked") // Hazelcast's executor futures are CompletableFutures of the task's result type
  void submit(ClusterExecution ex, RemoteTask task, MemberSlots m) {
    CompletionStage<byte[]> answer;
    try {
      answer = (CompletionStage<byte[]>) tasks.submitToMember(task, m.member);
    } catch (RuntimeException e) {
      backend.step(ex, () -> backend.onOutcome(ex, null, e));
      return;
    }
    answer.whenCompleteAsync((response, t) -> backend.runStep(ex, () -> backend.onOutcome(ex, response,
        t instanceof CompletionException && t.getCause() != null ? t.getCause() : t)), reports);
  }
}
