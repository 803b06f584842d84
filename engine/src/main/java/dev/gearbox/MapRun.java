package dev.gearbox;

import static java.util.Objects.requireNonNull;

import dev.gearbox.spi.Work;
import java.io.Serializable;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * One {@code map}/{@code mapUnordered} call: reads inputs lazily, keeps at most {@code window}
 * jobs in flight (each job one input, or a chunk of inputs), and yields outputs in input order
 * or as jobs complete. Memory is bounded by window x chunk size whatever the input's length.
 *
 * <p>Used by one consumer thread; only the completion queue is shared with engine threads.
 */
final class MapRun<I, O> implements Iterator<O> {

  /**
   * A job in flight: its inputs (kept for per-input retries; an {@code Object[]} or, on backends
   * that serialize work, maybe a {@link Packed} primitive array), how many, and its future.
   */
  private static final class Slot {
    final long firstIndex;
    final Object inputs;
    final int count;
    final TaskFuture<Object> future;
    /** Whether the sizer has learnt from this job's run time. Read and written by the consumer thread only. */
    boolean timed;

    Slot(long firstIndex, Object inputs, int count, TaskFuture<Object> future) {
      this.firstIndex = firstIndex;
      this.inputs = inputs;
      this.count = count;
      this.future = future;
    }
  }

  private final DefaultEngine engine;
  private final TaskFunction<? super I, ? extends O> fn;
  private final Iterator<? extends I> source;
  private final AutoCloseable sourceStream;
  private final boolean ordered;
  /** Chunks travel packed ({@link Packed}): the backend serializes work. */
  private final boolean pack;
  private final int window;
  /** The run time adaptive chunks aim at on backends that run jobs in this JVM. */
  static final long IN_PROCESS_BATCH_TARGET_NANOS = 1_000_000;

  private final ChunkSizer sizer;
  private final TaskOptions options;
  private final Duration timeout;
  private final RetryPolicy retry;

  // Concurrent because close() may come from another thread while the consumer waits.
  private final ConcurrentLinkedDeque<Slot> inOrder = new ConcurrentLinkedDeque<>();
  private final Set<Slot> pending = ConcurrentHashMap.newKeySet();
  private final LinkedBlockingQueue<Slot> completed = new LinkedBlockingQueue<>();
  /**
   * Jobs of the first window that ended and that the adaptive sizer has not learnt from yet, or
   * null when chunks are fixed. Filled by those jobs' completions, drained by the consumer as it
   * submits, so that the first jobs' run times size the next ones before the consumer reaches
   * their outputs: otherwise a wide window (a thousand jobs on the async backend) goes out as one
   * input per job. Only the first window's jobs report here: a future with a dependent takes the
   * core's slower completion path, and from the second window on the sizer has learnt enough
   * from the outputs the consumer reaches.
   */
  private final java.util.concurrent.ConcurrentLinkedQueue<Slot> ended;
  /** Jobs still to be submitted with a completion that reports to {@link #ended}. Consumer thread. */
  private int earlyJobsLeft;

  private long nextIndex;
  private int inFlight;
  private boolean sourceDone;
  private volatile boolean closed;
  /** An input being retried on its own, so that close() from another thread reaches it. */
  private volatile TaskFuture<Object> retrying;
  private Slot current;
  /** The current slot's outputs: an {@code Object[]} or a {@link Packed} primitive array. */
  private Object currentResults;
  private int pos;

  private boolean buffered;
  private Object bufferedValue;

  /** Reports progress to the map's listener; null when it has none (then nothing is counted). */
  private final Progress progress;

  MapRun(DefaultEngine engine, TaskFunction<? super I, ? extends O> fn, Iterator<? extends I> source,
      MapOptions options, boolean ordered, AutoCloseable sourceStream, long sizeHint) {
    this.engine = engine;
    this.fn = requireNonNull(fn, "fn");
    this.source = source;
    this.sourceStream = sourceStream;
    this.ordered = ordered;
    this.pack = engine.capabilities().requiresSerializable();
    requireNonNull(options, "options");
    this.window = options.window().orElse(engine.defaultMapWindow());
    int fixed = options.chunkSize().orElse(engine.config.chunkSize());
    if (fixed > 0) {
      this.sizer = ChunkSizer.fixed(fixed);
    } else {
      // Jobs cost a round trip where the backend prefers batching; in-process they cost a
      // hand-off and a wake-up (~1-70 us), which jobs of ~1 ms amortise while keeping the
      // workers balanced.
      long target = engine.config.batchTarget().toNanos();
      this.sizer = ChunkSizer.adaptive(engine.capabilities().prefersBatching() ? target
          : Math.min(target, IN_PROCESS_BATCH_TARGET_NANOS));
    }
    this.ended = sizer.isAdaptive() ? new java.util.concurrent.ConcurrentLinkedQueue<>() : null;
    this.earlyJobsLeft = ended == null ? 0 : window;
    this.options = options.taskOptions();
    this.timeout = options.taskOptions().timeout().orElse(engine.defaultTimeout());
    this.retry = options.taskOptions().retry().orElse(engine.defaultRetry());
    MapProgressListener listener = options.progress().orElse(null);
    this.progress = listener == null && !engine.tracksMaps() ? null
        : engine.track(new Progress(engine, listener, options.total() >= 0 ? options.total() : sizeHint));
  }

  /** The number of inputs of a sized input (a collection), or -1. */
  static long sizeOf(Iterable<?> inputs) {
    return inputs instanceof java.util.Collection<?> c ? c.size() : -1;
  }

  /**
   * A map's progress: inputs done, counted as their jobs complete (on whichever thread completes
   * them), and reported on the engine's event thread at most every {@link #EVERY_NANOS}, then once
   * more, finished, when the map ends. Thread-safe.
   */
  static final class Progress {
    static final long EVERY_NANOS = 100_000_000L;
    private static final java.util.concurrent.atomic.AtomicLong IDS = new java.util.concurrent.atomic.AtomicLong();
    final long id = IDS.incrementAndGet();
    private final DefaultEngine engine;
    /** Null when only the engine's views follow this map. */
    private final MapProgressListener listener;
    private final long total;
    private final long start = System.nanoTime();
    private final java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong lastReport = new java.util.concurrent.atomic.AtomicLong(start);
    private final java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();

    Progress(DefaultEngine engine, MapProgressListener listener, long total) {
      this.engine = engine;
      this.listener = listener;
      this.total = total;
    }

    EngineSnapshot.MapInfo info(java.time.Instant now, long nanoNow) {
      long d = done.get();
      long nanos = Math.max(1L, nanoNow - start);
      return new EngineSnapshot.MapInfo(id, d, total, d / (nanos / 1e9), Snapshots.at(now, nanoNow, start));
    }

    void jobEnded(int inputs) {
      long d = done.addAndGet(inputs);
      if (listener == null) {
        return;
      }
      long now = System.nanoTime();
      long last = lastReport.get();
      if (now - last >= EVERY_NANOS && lastReport.compareAndSet(last, now) && !finished.get()) {
        report(d, now, false);
      }
    }

    /** The last report; {@code atLeast} is what the consumer knows to be done (a job's callback may still be on its way). */
    void finish(long atLeast) {
      if (finished.compareAndSet(false, true)) {
        engine.untrack(this);
        if (listener != null) {
          report(Math.max(atLeast, done.get()), System.nanoTime(), true);
        }
      }
    }

    /**
     * {@link #finish}, then waits a moment ({@link #LAST_REPORT_WAIT_MILLIS} at most) for the
     * listener to have heard it: a bar's last line is drawn before the stream's consumer prints
     * what follows the map.
     */
    void finishAndWait(long atLeast) {
      finish(atLeast);
      CompletableFuture<Void> f = lastDelivered;
      if (f != null) {
        try {
          f.get(LAST_REPORT_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
          // a slow or failing listener: the stream ends anyway
        }
      }
    }

    static final long LAST_REPORT_WAIT_MILLIS = 1_000;
    /** Completed once the last report was delivered; null before it is made. */
    private volatile CompletableFuture<Void> lastDelivered;

    private void report(long d, long now, boolean last) {
      long nanos = Math.max(1L, now - start);
      MapProgress p = new MapProgress(d, total, Duration.ofNanos(nanos), d / (nanos / 1e9), last);
      CompletableFuture<Void> delivered = last ? new CompletableFuture<>() : null;
      lastDelivered = delivered;
      engine.onEventThread("map progress", () -> {
        try {
          listener.onProgress(p);
        } finally {
          if (delivered != null) {
            delivered.complete(null);
          }
        }
      });
      if (delivered != null && engine.isTerminated()) {
        delivered.complete(null); // no event thread left to deliver it
      }
    }
  }

  Stream<O> stream() {
    int characteristics = ordered ? Spliterator.ORDERED : 0;
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, characteristics), false)
        .onClose(this::close);
  }

  @Override
  public boolean hasNext() {
    if (!buffered && !closed) {
      buffered = advance();
    }
    return buffered;
  }

  @Override
  public O next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    buffered = false;
    Object v = bufferedValue;
    bufferedValue = null;
    @SuppressWarnings("unchecked")
    O o = (O) v;
    return o;
  }

  /** Moves to the next output; false at the end. Throws for a failed input. */
  private boolean advance() {
    for (;;) {
      if (current != null && pos < current.count) {
        int i = pos++;
        bufferedValue = resultAt(current, i);
        return true;
      }
      current = null;
      currentResults = null;
      fill();
      // The slot stays registered while we wait on it, so close() from another thread cancels it.
      Slot s = ordered ? inOrder.peek() : takeCompleted();
      if (s == null) {
        if (ended != null) {
          ended.clear(); // nothing more to size
        }
        if (progress != null && sourceDone) {
          progress.finishAndWait(nextIndex);
        }
        return false;
      }
      resolve(s);
      inFlight--;
      if (ordered) {
        inOrder.poll();
      } else {
        pending.remove(s);
      }
    }
  }

  /** Submits jobs until the window is full or the inputs end. */
  private void fill() {
    while (!sourceDone && !closed && inFlight < window) {
      learn();
      int n = sizer.next();
      Object chunk;
      try {
        chunk = Packed.read(source, n, pack);
      } catch (RuntimeException e) {
        close();
        throw e;
      }
      int k = Packed.length(chunk);
      if (k < n) {
        sourceDone = true;
        if (k == 0) {
          return;
        }
      }
      submit(chunk, k);
    }
  }

  private void submit(Object chunk, int count) {
    TaskOptions o = options;
    if (count > 1 && timeout != null) {
      o = options.toBuilder().timeout(timeout.multipliedBy(count)).build();
    }
    TaskFuture<Object> f;
    try {
      f = engine.submitWork(new MapWork(fn, chunk, pack && count > 1), o);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    Slot s = new Slot(nextIndex, chunk, count, f);
    nextIndex += count;
    if (progress != null) {
      f.whenComplete((v, t) -> progress.jobEnded(count));
    }
    inFlight++;
    boolean early = earlyJobsLeft > 0; // its end reports to `ended`
    if (early) {
      earlyJobsLeft--;
    }
    if (ordered) {
      inOrder.add(s);
      if (early) {
        f.whenComplete((v, t) -> ended.add(s));
      }
    } else {
      pending.add(s);
      f.whenComplete((v, t) -> {
        completed.add(s); // first: the consumer waits for this one
        if (early) {
          ended.add(s);
        }
      });
    }
    if (closed) {
      f.cancel(true); // close() on another thread may have missed this slot
    }
  }

  private Slot takeCompleted() {
    if (inFlight == 0) {
      return null;
    }
    try {
      return completed.take();
    } catch (InterruptedException e) {
      throw interrupted(e);
    }
  }

  /** Lets the adaptive sizer learn from every job that ended since it last looked. Consumer thread. */
  private void learn() {
    if (ended != null) {
      for (Slot s; (s = ended.poll()) != null; ) {
        time(s);
      }
    }
  }

  /** Gives the sizer the run time of {@code s}'s job, once, if it is adaptive and the job succeeded. Consumer thread. */
  private void time(Slot s) {
    if (sizer.isAdaptive() && !s.timed && s.future.isDone() && !s.future.isCompletedExceptionally()) {
      s.timed = true;
      sizer.record(s.count, s.future.job().successRunNanos());
    }
  }

  /** Waits for a job and makes it current. */
  private void resolve(Slot s) {
    Object value;
    try {
      value = s.future.get();
    } catch (InterruptedException e) {
      throw interrupted(e);
    } catch (ExecutionException e) {
      throw failed(s, 0, e.getCause());
    } catch (CancellationException e) {
      throw failed(s, 0, e);
    } catch (RuntimeException e) {
      close(); // a wait that could never end (a map inside a task of its own engine): nothing stays queued
      throw e;
    }
    time(s);
    learn();
    // A single-input job returns the output itself; a chunk returns its outputs, maybe packed, one per input.
    if (s.count != 1 && (!Packed.isChunk(value) || Packed.length(value) != s.count)) {
      String got = Packed.isChunk(value) ? Packed.length(value) + " outputs"
          : value == null ? "null" : "a " + value.getClass().getName();
      throw failed(s, 0, new EngineException(s.future.taskId(), s.future.taskName(), "a chunk of " + s.count
          + " inputs came back as " + got + ": the worker or member that ran it is broken", null));
    }
    current = s;
    pos = 0;
    currentResults = s.count == 1 ? new Object[] {value} : value;
  }

  /**
   * The rest of the outputs, the current chunk's without a call per output to {@link #hasNext};
   * the same order, failures and closing as {@link #next}.
   */
  @Override
  public void forEachRemaining(java.util.function.Consumer<? super O> action) {
    requireNonNull(action, "action");
    while (hasNext()) {
      action.accept(next());
      Slot s = current;
      while (s != null && pos < s.count && !closed) {
        @SuppressWarnings("unchecked")
        O o = (O) resultAt(s, pos++);
        action.accept(o);
      }
    }
  }

  private Object resultAt(Slot s, int i) {
    Object r = Packed.get(currentResults, i);
    if (r instanceof ItemFailure failure) {
      Throwable cause = failure.cause();
      if (retry.maxAttempts() > 1 && retry.shouldRetry(cause)) {
        r = retryAlone(s, i);
      } else {
        throw failed(s, i, cause);
      }
    }
    return r;
  }

  /** An input that failed inside a batch gets the rest of its retry budget as a job of its own. */
  private Object retryAlone(Slot s, int i) {
    TaskOptions o = options.toBuilder().retry(retry.withMaxAttempts(retry.maxAttempts() - 1)).build();
    TaskFuture<Object> f = engine.submitWork(new MapWork(fn, new Object[] {Packed.get(s.inputs, i)}, false), o);
    retrying = f;
    if (closed) {
      f.cancel(true);
    }
    try {
      return f.get();
    } catch (InterruptedException e) {
      f.cancel(true);
      throw interrupted(e);
    } catch (ExecutionException e) {
      throw failed(s, i, e.getCause());
    } catch (CancellationException e) {
      throw failed(s, i, e);
    } catch (RuntimeException e) {
      f.cancel(true); // a wait that could never end: nothing stays queued
      close();
      throw e;
    } finally {
      retrying = null;
    }
  }

  private RuntimeException failed(Slot s, int i, Throwable cause) {
    boolean closedElsewhere = closed;
    close();
    if (closedElsewhere && cause instanceof CancellationException) {
      CancellationException c = new CancellationException("map was closed while waiting for input #" + (s.firstIndex + i));
      c.initCause(cause);
      return c;
    }
    long index = s.firstIndex + i;
    return new CompletionException("map: input #" + index + " (task " + s.future.taskName() + ") failed: " + cause, cause);
  }

  private CancellationException interrupted(InterruptedException e) {
    Thread.currentThread().interrupt();
    close();
    CancellationException c = new CancellationException("map interrupted while waiting for a result");
    c.initCause(e);
    return c;
  }

  /** Cancels the jobs still in flight and closes the input stream. Idempotent; any thread. */
  synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (progress != null) {
      progress.finish(0);
    }
    for (Slot s : inOrder) {
      s.future.cancel(true);
    }
    for (Slot s : pending) {
      s.future.cancel(true);
    }
    if (ended != null) {
      ended.clear();
    }
    TaskFuture<Object> r = retrying;
    if (r != null) {
      r.cancel(true);
    }
    if (sourceStream != null) {
      try {
        sourceStream.close();
      } catch (Exception e) {
        throw new CompletionException("map: closing the input stream failed", e);
      }
    }
  }

  /** A failed input inside a batch; the other inputs of the batch are unaffected. */
  record ItemFailure(Throwable cause) implements Serializable {}

  /**
   * Applies the function to a chunk; a single input returns its output directly. {@code inputs}
   * is an {@code Object[]} or, when {@code pack} is set, possibly a primitive array
   * ({@link Packed}), and the outputs are packed the same way when they allow it.
   */
  record MapWork(TaskFunction<?, ?> fn, Object inputs, boolean pack) implements Work {
    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public Object run(TaskContext context) throws Exception {
      TaskFunction f = fn;
      Object[] in = Packed.unpack(inputs);
      if (in.length == 1) {
        return f.apply(in[0]);
      }
      Object[] out = new Object[in.length];
      for (int i = 0; i < in.length; i++) {
        context.checkCancelled();
        try {
          out[i] = f.apply(in[i]);
        } catch (Exception e) {
          out[i] = new ItemFailure(e);
        }
      }
      return pack ? Packed.pack(out) : out;
    }
  }
}
