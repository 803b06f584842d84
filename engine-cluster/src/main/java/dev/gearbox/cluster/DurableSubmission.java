package dev.gearbox.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.durableexecutor.DurableExecutorService;
import com.hazelcast.durableexecutor.DurableExecutorServiceFuture;
import com.hazelcast.partition.Partition;
import com.hazelcast.partition.PartitionService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * An attempt's way through Hazelcast's durable executor ({@code gearbox.cluster.executor=durable}),
 * which stores a task with its backups on the member that owns its key's partition and, if that
 * member leaves, runs it again on the member that held its backup. The attempt goes to a key that
 * the member the backend chose owns, so that its slot count holds. When a member leaves during the
 * submission or the run, the task is submitted again if it was not stored (at least once, never
 * lost), else its result is sought from the backup member; {@link #TRIES} times at most,
 * {@link #RETRY_MILLIS} apart. Every step runs on the backend's report executor (never on a
 * Hazelcast thread, never in the caller's) through {@link ClusterBackend#runStep}, and ends in
 * {@link ClusterBackend#onOutcome}.
 *
 * <p>Thread-safe. {@link #partitionKeys} is found once and published through a volatile field
 * (threads that race find the same keys).
 */
final class DurableSubmission {
  /** How often, and how far apart, a durable task's submission or result is sought again after its member left. */
  private static final int TRIES = 50;
  private static final long RETRY_MILLIS = 200;

  private final ClusterBackend backend;
  private final DurableExecutorService durable;
  private final HazelcastInstance hz;
  private final Executor reports;
  /** One key per partition, by partition id; null until first needed. */
  private volatile String[] partitionKeys;

  DurableSubmission(ClusterBackend backend, DurableExecutorService durable, HazelcastInstance hz, Executor reports) {
    this.backend = backend;
    this.durable = durable;
    this.hz = hz;
    this.reports = reports;
  }

  /**
   * Submits a task to a key that {@code m} owns, or to any key when {@code m} is null. Waits for
   * the task to be stored with its backups: call it on the report executor.
   */
  void submit(ClusterExecution ex, RemoteTask task, MemberSlots m) {
    submit(ex, task, m, 1);
  }

  private void submit(ClusterExecution ex, RemoteTask task, MemberSlots m, int tries) {
    DurableExecutorServiceFuture<byte[]> f;
    try {
      Object key = m == null ? "gearbox-" + ThreadLocalRandom.current().nextInt(1 << 20) : keyOwnedBy(m.member);
      f = durable.submitToKeyOwner(task, key);
    } catch (Throwable e) {
      backend.onOutcome(ex, null, e);
      return;
    }
    f.whenCompleteAsync((r, t) -> backend.runStep(ex, () -> {
      if (t == null || !ClusterFailures.isMemberLoss(t) || backend.closing() || tries >= TRIES) {
        backend.onOutcome(ex, r, t);
      } else if (f.getTaskId() == -1) {
        // Not stored: the key's owner left during the submission. Submit again (at least once, never lost).
        later(ex, () -> submit(ex, task, null, tries + 1));
      } else {
        // Stored: Hazelcast runs it again on the member that held its backup; wait for the result there.
        later(ex, () -> await(ex, f.getTaskId(), tries + 1, t));
      }
    }), reports);
  }

  private void await(ClusterExecution ex, long durableTaskId, int tries, Throwable last) {
    if (tries > TRIES || backend.closing()) {
      backend.onOutcome(ex, null, last);
      return;
    }
    Future<byte[]> f;
    try {
      f = durable.retrieveResult(durableTaskId);
    } catch (Throwable e) {
      backend.onOutcome(ex, null, e);
      return;
    }
    if (f instanceof CompletionStage<?> stage) {
      stage.whenCompleteAsync((r, t) -> backend.runStep(ex, () -> {
        if (t != null && ClusterFailures.isMemberLoss(t)) {
          later(ex, () -> await(ex, durableTaskId, tries + 1, t));
        } else {
          backend.onOutcome(ex, (byte[]) r, t);
        }
      }), reports);
    } else {
      try {
        backend.onOutcome(ex, f.get(), null);
      } catch (ExecutionException e) {
        backend.onOutcome(ex, null, e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        backend.onOutcome(ex, null, e);
      }
    }
  }

  /** Runs a step on the report executor after a short pause (while the cluster settles after a member left). */
  private void later(ClusterExecution ex, Runnable step) {
    CompletableFuture.delayedExecutor(RETRY_MILLIS, TimeUnit.MILLISECONDS, reports).execute(() -> backend.runStep(ex, step));
  }

  /** A key whose partition the member owns, so the durable executor runs the task there (best effort). */
  private Object keyOwnedBy(Member member) {
    PartitionService ps = hz.getPartitionService();
    String[] keys = partitionKeys;
    if (keys == null) { // one key per partition, found once (a few thousand local hashes)
      String[] k = new String[ps.getPartitions().size()];
      int found = 0;
      for (int i = 0; found < k.length && i < 1_000_000; i++) {
        String key = "gearbox-" + i;
        int p = ps.getPartition(key).getPartitionId();
        if (p < k.length && k[p] == null) {
          k[p] = key;
          found++;
        }
      }
      keys = k;
      partitionKeys = k;
    }
    List<Partition> partitions = new ArrayList<>(ps.getPartitions());
    int start = ThreadLocalRandom.current().nextInt(partitions.size());
    for (int i = 0; i < partitions.size(); i++) {
      Partition p = partitions.get((start + i) % partitions.size());
      Member o = p.getOwner();
      if (o != null && o.getUuid().equals(member.getUuid()) && p.getPartitionId() < keys.length && keys[p.getPartitionId()] != null) {
        return keys[p.getPartitionId()];
      }
    }
    return "gearbox-" + start; // no partition owned there yet (migrating): any member will do
  }
}
