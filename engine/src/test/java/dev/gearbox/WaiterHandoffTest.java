package dev.gearbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class WaiterHandoffTest {
  private static final Duration PATIENCE = Duration.ofSeconds(10);

  /** A future whose hand-off slot the test uses (its own completion plays no part). */
  private static TaskFuture<?> holder() {
    return new Job(null, 1, (dev.gearbox.spi.Work) ctx -> null, null, TaskOptions.defaults());
  }

  /** Starts a thread that waits in the handoff until {@code done} completes; returns it once it is parked there. */
  private static Thread waiting(TaskFuture<?> h, CompletableFuture<?> done, boolean interruptible, AtomicReference<Object> ended) {
    Thread t = new Thread(() -> {
      try {
        ended.set(WaiterHandoff.await(h, done::isDone, interruptible));
      } catch (InterruptedException e) {
        ended.set(e);
      }
    });
    t.start();
    await().atMost(PATIENCE).until(() -> t.getState() == Thread.State.WAITING);
    return t;
  }

  @Test
  void offer_withNobodyWaiting_isRefused() {
    assertThat(WaiterHandoff.offer(holder(), () -> { })).isFalse();
  }

  @Test
  void offeredReport_runsOnTheWaitingThread_whichReturnsOnceItCompletedTheFuture() throws Exception {
    TaskFuture<?> h = holder();
    CompletableFuture<String> done = new CompletableFuture<>();
    AtomicReference<Object> ended = new AtomicReference<>();
    AtomicReference<Thread> ranOn = new AtomicReference<>();
    Thread waiter = waiting(h, done, true, ended);

    assertThat(WaiterHandoff.offer(h, () -> {
      ranOn.set(Thread.currentThread());
      done.complete("x");
    })).isTrue();
    waiter.join(PATIENCE.toMillis());

    assertThat(ranOn.get()).isSameAs(waiter);
    assertThat(ended.get()).isEqualTo(true);
    assertThat(WaiterHandoff.offer(h, () -> { })).as("nobody waits any more").isFalse();
  }

  @Test
  void aReportThatDoesNotEndTheTask_leavesTheCallerWaitingForTheNext() throws Exception {
    TaskFuture<?> h = holder();
    CompletableFuture<String> done = new CompletableFuture<>();
    AtomicReference<Object> ended = new AtomicReference<>();
    AtomicInteger reports = new AtomicInteger();
    Thread waiter = waiting(h, done, true, ended);

    assertThat(WaiterHandoff.offer(h, reports::incrementAndGet)).isTrue(); // a failed attempt that will be retried
    await().atMost(PATIENCE).until(() -> reports.get() == 1 && waiter.getState() == Thread.State.WAITING);
    assertThat(WaiterHandoff.offer(h, () -> {
      reports.incrementAndGet();
      done.complete("retried");
    })).isTrue();
    waiter.join(PATIENCE.toMillis());

    assertThat(reports.get()).isEqualTo(2);
    assertThat(ended.get()).isEqualTo(true);
  }

  @Test
  void completionByAnotherThread_wakesTheWaiter() throws Exception {
    TaskFuture<?> h = holder();
    CompletableFuture<String> done = new CompletableFuture<>();
    AtomicReference<Object> ended = new AtomicReference<>();
    Thread waiter = waiting(h, done, true, ended);

    done.complete("elsewhere");
    WaiterHandoff.wake(h);
    waiter.join(PATIENCE.toMillis());

    assertThat(ended.get()).isEqualTo(true);
  }

  @Test
  void interrupt_endsAnInterruptibleWait_andANewWaiterMayComeAfter() throws Exception {
    TaskFuture<?> h = holder();
    CompletableFuture<String> done = new CompletableFuture<>();
    AtomicReference<Object> ended = new AtomicReference<>();
    Thread waiter = waiting(h, done, true, ended);

    waiter.interrupt();
    waiter.join(PATIENCE.toMillis());

    assertThat(ended.get()).isInstanceOf(InterruptedException.class);
    assertThat(WaiterHandoff.offer(h, () -> { })).as("the interrupted waiter left").isFalse();
    AtomicReference<Object> second = new AtomicReference<>();
    Thread next = waiting(h, done, true, second);
    assertThat(WaiterHandoff.offer(h, () -> done.complete("y"))).isTrue();
    next.join(PATIENCE.toMillis());
    assertThat(second.get()).isEqualTo(true);
  }

  @Test
  void aSecondWaiter_isToldToWaitAnotherWay() throws Exception {
    TaskFuture<?> h = holder();
    CompletableFuture<String> done = new CompletableFuture<>();
    AtomicReference<Object> ended = new AtomicReference<>();
    Thread waiter = waiting(h, done, false, ended);

    assertThat(WaiterHandoff.await(h, done::isDone, true)).isFalse();

    done.complete("z");
    WaiterHandoff.wake(h);
    waiter.join(PATIENCE.toMillis());
    assertThat(ended.get()).isEqualTo(true);
  }

  @Test
  void interruptedBeforeWaiting_throwsAtOnce() {
    TaskFuture<?> h = holder();
    Thread.currentThread().interrupt();
    assertThatThrownBy(() -> WaiterHandoff.await(h, new CompletableFuture<>()::isDone, true)).isInstanceOf(InterruptedException.class);
    assertThat(Thread.interrupted()).as("the interrupt is consumed, as CompletableFuture.get does").isFalse();
  }
}
