package dev.gearbox;

import dev.gearbox.spi.AsyncWork;
import dev.gearbox.spi.Work;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * A task's {@link Work} with the contexts its submitter's {@link ContextCarrier}s captured, restored
 * around the work in whichever thread runs it. Wrapping the work (instead of telling each backend)
 * makes the contexts go wherever the work goes: into a worker process or onto a cluster member,
 * serialized with it, with no change to any protocol. Work submitted with nothing to carry is not
 * wrapped at all.
 *
 * <p>Immutable and thread-safe; serializable when the work and the contexts are.
 */
final class ContextualWork {
  private ContextualWork() {}

  /**
   * {@code work} (a {@link Work}, or a {@link Task} to run as one: see {@link Job#asWork}) with what
   * {@code carriers} capture in the calling thread, or {@code work} itself if they capture nothing.
   */
  static Object wrap(ContextCarrier[] carriers, Object work) {
    CarriedContext first = null;
    CarriedContext[] all = null;
    int n = 0;
    for (ContextCarrier carrier : carriers) {
      CarriedContext c = carrier.capture();
      if (c == null) {
        continue;
      }
      if (n == 0) {
        first = c;
      } else {
        if (all == null) {
          all = new CarriedContext[carriers.length];
          all[0] = first;
        }
        all[n] = c;
      }
      n++;
    }
    if (n == 0) {
      return work;
    }
    List<CarriedContext> contexts = n == 1 ? List.of(first) : List.of(java.util.Arrays.copyOf(all, n));
    Work w = Job.asWork(work);
    return w instanceof AsyncWork async ? new Async(contexts, async) : new Sync(contexts, w);
  }

  /** The work inside, for code that looks at what the user submitted. */
  static Work unwrap(Work work) {
    if (work instanceof Sync s) {
      return s.work();
    }
    return work instanceof Async a ? a.work() : work;
  }

  /** The submitter's MDC carried by {@code work}, or an empty map. */
  static Map<String, String> mdcOf(Object work) {
    List<CarriedContext> contexts = work instanceof Sync s ? s.contexts() : work instanceof Async a ? a.contexts() : List.of();
    for (CarriedContext c : contexts) {
      if (c instanceof MdcContext m) {
        return m.map();
      }
    }
    return Map.of();
  }

  /** Restores every context, in order; the returned restoration undoes them in reverse. */
  private static CarriedContext.Restoration restoreAll(List<CarriedContext> contexts) {
    if (contexts.size() == 1) {
      return contexts.get(0).restore();
    }
    CarriedContext.Restoration[] done = new CarriedContext.Restoration[contexts.size()];
    int k = 0;
    try {
      for (CarriedContext c : contexts) {
        done[k] = c.restore();
        k++;
      }
    } catch (RuntimeException | Error e) {
      undo(done, k);
      throw e;
    }
    int restored = k;
    return () -> undo(done, restored);
  }

  private static void undo(CarriedContext.Restoration[] done, int n) {
    RuntimeException first = null;
    for (int i = n - 1; i >= 0; i--) {
      try {
        done[i].close();
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  /** Blocking work with its contexts. */
  record Sync(List<CarriedContext> contexts, Work work) implements Work {
    private static final long serialVersionUID = 1L;

    @Override
    public Object run(TaskContext context) throws Exception {
      CarriedContext.Restoration r = restoreAll(contexts);
      try {
        return work.run(context);
      } finally {
        r.close();
      }
    }
  }

  /** Async work with its contexts, restored while the stage is made. */
  record Async(List<CarriedContext> contexts, AsyncWork work) implements AsyncWork {
    private static final long serialVersionUID = 1L;

    @Override
    public CompletionStage<?> start(TaskContext context) throws Exception {
      CarriedContext.Restoration r = restoreAll(contexts);
      try {
        return work.start(context);
      } finally {
        r.close();
      }
    }
  }
}
