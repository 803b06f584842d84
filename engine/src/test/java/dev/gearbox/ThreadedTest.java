package dev.gearbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;

/**
 * What the channel tests share: threads whose failures reach the test through their futures, and
 * which are interrupted and joined after each test; the bounds on every wait.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
abstract class ThreadedTest {
  /** The bound on waiting for something that should happen promptly. */
  static final Duration PROMPTLY = Duration.ofSeconds(20);
  /** A timeout that is expected to pass: short, because nothing can arrive. */
  static final Duration NOTHING_ARRIVES = Duration.ofMillis(50);

  private final List<Thread> threads = new ArrayList<>();

  /** Runs {@code body} on a new thread; what it throws is the future's failure. */
  <V> Future<V> spawn(String name, Callable<V> body) {
    FutureTask<V> task = new FutureTask<>(body);
    Thread t = new Thread(task, name);
    threads.add(t);
    t.start();
    return task;
  }

  /** The thread started last. */
  Thread lastThread() {
    return threads.get(threads.size() - 1);
  }

  /** Waits until {@code t} is parked (inside a channel operation, in these tests). */
  static void awaitBlocked(Thread t) {
    await().atMost(PROMPTLY).until(() -> t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING);
  }

  static <V> V get(Future<V> f) throws Exception {
    return f.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
  }

  static Throwable failureOf(Future<?> f) {
    try {
      f.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError("expected the future to fail, got " + e, e);
    }
    throw new AssertionError("expected the future to fail, it succeeded");
  }

  /** Asserts that {@code received} holds 0..n-1, each once: nothing lost, nothing duplicated. */
  static void assertEachOnce(Collection<Integer> received, int n) {
    List<Integer> all = new ArrayList<>(received);
    all.sort(null);
    assertThat(all).hasSize(n);
    for (int i = 0; i < n; i++) {
      assertThat(all.get(i)).as("element %d (lost or duplicated)", i).isEqualTo(i);
    }
  }

  @AfterEach
  void joinThreads() throws InterruptedException {
    for (Thread t : threads) {
      t.interrupt();
      t.join(PROMPTLY.toMillis());
      assertThat(t.isAlive()).as("thread %s ended", t.getName()).isFalse();
    }
  }
}
