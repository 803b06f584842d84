package dev.gearbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The marker of the attempt a virtual thread runs is the thread's uncaught-exception handler while
 * the attempt runs there ({@link RunningHere}): what the thread had is back afterwards, and an
 * exception given to the marker reaches what it displaced.
 */
class RunningHereTest {

  /** Runs {@code body} on a new virtual thread with {@code handler} (null for none) and waits for it. */
  private static void onVirtualThread(Thread.UncaughtExceptionHandler handler, Runnable body) throws InterruptedException {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = Thread.ofVirtual().unstarted(() -> {
      try {
        body.run();
      } catch (Throwable e) {
        failure.set(e);
      }
    });
    if (handler != null) {
      t.setUncaughtExceptionHandler(handler);
    }
    t.start();
    t.join();
    if (failure.get() instanceof Error e) {
      throw e;
    }
    assertThat(failure.get()).isNull();
  }

  private static Engine direct() {
    return Engine.open(EngineConfig.newBuilder().backend("direct").build());
  }

  @Test
  void aVirtualThreadsOwnHandler_isBackAfterAnAttemptRanThere_andTheAttemptWasSeenMeanwhile() throws Exception {
    List<Throwable> heard = new ArrayList<>();
    Thread.UncaughtExceptionHandler own = (t, e) -> heard.add(e);
    onVirtualThread(own, () -> {
      try (Engine engine = direct()) {
        DefaultEngine seen = engine.submit(AttemptImpl::engineRunningHere).join();
        assertThat(seen).isSameAs(engine);
      }
      assertThat(Thread.currentThread().getUncaughtExceptionHandler()).isSameAs(own);
      assertThat(AttemptImpl.engineRunningHere()).isNull();
    });
  }

  @Test
  void aVirtualThreadWithoutAHandler_hasNoneAfterAnAttemptRanThere() throws Exception {
    onVirtualThread(null, () -> {
      try (Engine engine = direct()) {
        assertThat(engine.submit(() -> Thread.currentThread().getUncaughtExceptionHandler() instanceof AttemptImpl).join()).isTrue();
      }
      Thread me = Thread.currentThread();
      assertThat(me.getUncaughtExceptionHandler()).isSameAs(me.getThreadGroup()); // what a thread without one reports
    });
  }

  @Test
  void anExceptionGivenToTheMarker_reachesTheHandlerItDisplaced() throws Exception {
    List<Throwable> heard = new ArrayList<>();
    Thread.UncaughtExceptionHandler own = (t, e) -> heard.add(e);
    IllegalStateException boom = new IllegalStateException("boom");
    onVirtualThread(own, () -> {
      try (Engine engine = direct()) {
        engine.submit(() -> {
          Thread me = Thread.currentThread();
          me.getUncaughtExceptionHandler().uncaughtException(me, boom);
          return null;
        }).join();
      }
    });
    assertThat(heard).containsExactly(boom);
  }
}
