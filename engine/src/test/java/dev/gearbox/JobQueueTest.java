package dev.gearbox;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JobQueueTest {
  private static Job job(long id, int priority) {
    return new Job(null, id, (dev.gearbox.spi.Work) ctx -> null, null, TaskOptions.newBuilder().priority(priority).build());
  }

  @Test
  void poll_highestPriorityFirst_thenSubmissionOrder() {
    JobQueue q = new JobQueue();
    q.add(job(1, 0));
    q.add(job(2, -1));
    q.add(job(3, 5));
    q.add(job(4, 0));
    q.add(job(5, 5));
    assertThat(new long[] {q.poll().id, q.poll().id, q.poll().id, q.poll().id, q.poll().id}).containsExactly(3, 5, 1, 4, 2);
    assertThat(q.isEmpty()).isTrue();
  }

  @Test
  void retriedJobs_rejoinInTheOrderTheyWereFirstSubmitted() {
    JobQueue q = new JobQueue();
    q.add(job(6, 0));
    q.addRetry(job(7, 0));
    q.addRetry(job(5, 0));
    q.add(job(8, 0));
    assertThat(q.size()).isEqualTo(4);
    assertThat(q.snapshotInRunOrder().stream().map(j -> j.id).toList()).containsExactly(5L, 6L, 7L, 8L);
    assertThat(new long[] {q.poll().id, q.poll().id, q.poll().id, q.poll().id}).containsExactly(5, 6, 7, 8);
  }

  @Test
  void remove_findsRetriedAndFreshJobs() {
    JobQueue q = new JobQueue();
    Job fresh = job(1, 0);
    Job retried = job(2, 0);
    q.add(fresh);
    q.addRetry(retried);
    assertThat(q.remove(retried)).isTrue();
    assertThat(q.remove(fresh)).isTrue();
    assertThat(q.isEmpty()).isTrue();
  }

  @Test
  void copyInRunOrder_givesTheRunOrder_upToTheLimit() {
    JobQueue q = new JobQueue();
    q.add(job(6, 0));
    q.addRetry(job(7, 0));
    q.add(job(8, 0));
    q.add(job(9, 3));
    q.add(job(2, -1));
    q.addRetry(job(5, 0));
    java.util.List<Job> all = new java.util.ArrayList<>();
    q.copyInRunOrder(all, Integer.MAX_VALUE);
    assertThat(all.stream().map(j -> j.id).toList()).isEqualTo(q.snapshotInRunOrder().stream().map(j -> j.id).toList())
        .containsExactly(9L, 5L, 6L, 7L, 8L, 2L);
    for (int limit = 0; limit <= 6; limit++) {
      java.util.List<Job> some = new java.util.ArrayList<>();
      q.copyInRunOrder(some, limit);
      assertThat(some).as("limit %s", limit).isEqualTo(all.subList(0, limit));
    }
  }
}
