package dev.gearbox.testkit;

import java.lang.reflect.Method;
import org.slf4j.MDC;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;

/**
 * Gives this JVM a working SLF4J {@code MDC} for the context contract. The tests log through
 * slf4j-simple, whose MDC keeps nothing; a backend's test JVM, its worker processes and its
 * cluster members would all see an empty MDC, so nothing could be checked. Where the provider's
 * MDC is a no-op, this swaps in a plain thread-local one ({@link ThreadMdc}, what logback's does: a
 * thread does not inherit its creator's map); a real one (logback's) is kept.
 * {@link ContextContract} runs it in the test's JVM, and in a worker as the contract's tasks are
 * read there, before anything is restored.
 */
public final class ContractMdc {
  private ContractMdc() {}

  /** Installs a working MDC adapter if there is none; returns true when the MDC works. */
  public static synchronized boolean install() {
    MDCAdapter current = MDC.getMDCAdapter();
    if (current == null || current instanceof NOPMDCAdapter) {
      try {
        Method set = MDC.class.getDeclaredMethod("setMDCAdapter", MDCAdapter.class);
        set.setAccessible(true);
        set.invoke(null, new ThreadMdc());
      } catch (ReflectiveOperationException | RuntimeException e) {
        throw new IllegalStateException("the context contract needs a working SLF4J MDC, and could not install"
            + " a thread-local MDC in place of " + current + ": " + e, e);
      }
    }
    return true;
  }

  /** An MDC per thread, not inherited by threads it starts (unlike SLF4J's BasicMDCAdapter). */
  static final class ThreadMdc implements MDCAdapter {
    private final ThreadLocal<Map<String, String>> map = ThreadLocal.withInitial(HashMap::new);
    private final ThreadLocal<Map<String, Deque<String>>> deques = ThreadLocal.withInitial(HashMap::new);

    @Override
    public void put(String key, String val) {
      map.get().put(key, val);
    }

    @Override
    public String get(String key) {
      return map.get().get(key);
    }

    @Override
    public void remove(String key) {
      map.get().remove(key);
    }

    @Override
    public void clear() {
      map.remove();
    }

    @Override
    public Map<String, String> getCopyOfContextMap() {
      return new HashMap<>(map.get());
    }

    @Override
    public void setContextMap(Map<String, String> contextMap) {
      map.set(new HashMap<>(contextMap));
    }

    @Override
    public void pushByKey(String key, String value) {
      deques.get().computeIfAbsent(key, k -> new ArrayDeque<>()).push(value);
    }

    @Override
    public String popByKey(String key) {
      Deque<String> d = deques.get().get(key);
      return d == null ? null : d.poll();
    }

    @Override
    public Deque<String> getCopyOfDequeByKey(String key) {
      Deque<String> d = deques.get().get(key);
      return d == null ? null : new ArrayDeque<>(d);
    }

    @Override
    public void clearDequeByKey(String key) {
      deques.get().remove(key);
    }
  }
}
