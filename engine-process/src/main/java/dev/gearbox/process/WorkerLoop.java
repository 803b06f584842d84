package dev.gearbox.process;

import dev.gearbox.spi.Codec;
import dev.gearbox.spi.Work;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The worker side of the protocol: reads {@link WorkerBound} frames from the engine, runs tasks,
 * and answers with {@link EngineBound} frames.
 *
 * <h2>Threads</h2>
 * {@code concurrency + 1} task threads: at most {@code concurrency} run tasks, and one more reads
 * the frames. Whichever thread reads a RUN runs that task itself if fewer than
 * {@code concurrency} run, after handing the reading to an idle thread (leader/follower): a task
 * starts without a wake-up. Otherwise the task waits in {@link #waiting} (the engine's prefetch:
 * the next task is here when one ends) and the thread that ends a task runs it next. A thread that
 * ends a task flushes its OK before the task stops counting as running.
 *
 * <p>With {@code concurrency} 1 the reading is handed on lazily: while the other thread stands by
 * (looks every {@link #TICK_NANOS} at first, less often while tasks keep ending between its looks,
 * down to every {@link #MAX_TICK_NANOS}), the thread that read a task runs it keeping the reading (a
 * {@link Hold}) and reads on after it, so a short task costs this JVM no wake-up besides the read.
 * The standby takes the reading once the same hold has lasted from one look to the next (at most two
 * of the longest intervals after the task started), so a CANCEL, REVOKE or channel reply behind it is
 * read within that; a task about to wait for a channel reply (on any of its threads) passes the reading on at
 * once ({@link #passReadingOn}), and the pass is withdrawn if the task ends before the standby took
 * it. Every RUN waits in {@link #waiting} until the reading thread has read the frames already
 * whole on stdin and released it ({@link WorkerTask#released}); only a released task starts,
 * whichever thread starts it, so a CANCEL or REVOKE that came right behind its RUN takes it out
 * unstarted. The standby goes back to the pool after {@code idleTicks} ticks without a task; the next task
 * then hands the reading on at once, as above, and its thread stands by after it. A task run
 * keeping the reading leaves its OK unflushed when a whole frame already waits on stdin: the next
 * task's STARTED takes it along in one write (it is flushed before any read that could block,
 * under a hold of its own, so that the standby takes the reading if the flush waits for room in a
 * full pipe). Before a read that may block, the reading thread polls stdin a moment when the engine
 * allowed it for the task just ended and frames came soon of late ({@link FramePoll}).
 *
 * <p>Invariant of the lazy hand-over (all under {@link #roles}): exactly one thread owns the
 * reading (it reads frames, or runs a task under a hold that is not TAKEN), and at most one is the
 * {@link #standby}; only the standby moves the reading, by marking the current hold TAKEN (then the
 * hold's thread becomes the standby, reading nothing more), and a thread decides whether to read on
 * after its task from its own hold alone, so a hold begun by the new owner meanwhile cannot mislead
 * it. A hold begins only while a standby exists, so none lasts without a thread to take it; and
 * a thread counts as running (in {@link #active}) from before its hold begins until its last flush
 * is done, also when it flushes an owed OK under a hold, so that with one task running at a time
 * no hold begins that counts on a standby blocked in a flush. Answers
 * the reader owes the engine (REVOKED, a held task's cancellation) go from one replies thread, never
 * from the reader: a reader blocked writing to a full pipe while the engine is blocked writing to
 * our full stdin would wait for ever.
 *
 * <p>Lock: {@link #waiting} guards itself and {@link #active}; {@link #channel} serializes frames
 * written to the engine. {@link #running} is concurrent: an entry from RUN until the outcome is
 * sent (or the task is given back or cancelled unstarted), so that a CANCEL right behind its RUN
 * is not lost.
 */
final class WorkerLoop implements WorkerBound.Handler {
  private final Codec codec;
  private final DataOutputStream channel;
  private final DataInputStream frames;
  private final int maxFrame;
  private final int concurrency;
  final ExecutorService tasks;
  final ExecutorService replies = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "gearbox-replies");
    t.setDaemon(true);
    return t;
  });
  private final Map<Long, WorkerTask> running = new ConcurrentHashMap<>();
  /** Tasks received and not started, in arrival order. */
  private final ArrayDeque<WorkerTask> waiting = new ArrayDeque<>();
  /** Guarded by {@link #waiting}: tasks running now. */
  private int active;
  /** Completed when the frames end: true if the engine said SHUTDOWN first. */
  final CompletableFuture<Boolean> served = new CompletableFuture<>();
  /** The tasks' channel handles and their calls to the engine. */
  private final RemoteChannels channels;

  /** The standby's first interval between two looks at the task the reading thread runs (lazy hand-over, concurrency 1). */
  static final long TICK_NANOS = 1_000_000;
  /** The longest interval: each look that finds the reading thread moved on since the last doubles it, up to this. */
  static final long MAX_TICK_NANOS = 8_000_000;
  /** Looks without a task after which the standby goes back to the pool. */
  static final int IDLE_TICKS = 3;
  /** {@link #TICK_NANOS}, {@link #MAX_TICK_NANOS} and {@link #IDLE_TICKS}, or what a test sets. */
  private final long tickNanos;
  private final long maxTickNanos;
  private final int idleTicks;
  /** How many times a standby looked; guarded by {@link #roles}; for tests. */
  private long looks;
  /** Owed outcomes whose flush outlasted the hold it ran under (the standby took the reading meanwhile); guarded by {@link #roles}; for tests. */
  private int flushesOutlasted;
  /** Whether the reading is handed on lazily: with concurrency 1 (one task runs at a time). */
  private final boolean lazyReading;
  /** Guards the lazy hand-over's fields below and every {@link Hold}'s state. */
  private final Object roles = new Object();
  /** The hold of the thread that runs a task while it keeps the reading; null when none does (or it was taken). */
  private Hold held;
  /** How many holds began; tells the standby whether a task came and went between two ticks. */
  private long holds;
  /** The thread that stands by, or will as soon as its task ends; null when none will (it went back to the pool). */
  private Thread standby;
  /** Whether {@link #standby} is in its tick loop (so it must be unparked to take a reading passed on). */
  private boolean ticking;
  /** The reading thread's poll before a read that may block (lazy hand-over); used only by the thread that reads. */
  private final FramePoll poll = new FramePoll();

  /** The reading kept by a thread while it runs a task it read (lazy hand-over); its state is guarded by {@link #roles}. */
  private static final class Hold {
    /** The thread reads on after the task. */
    static final int KEPT = 0;
    /** A channel call passed the reading to the standby, which has not taken it yet (the thread may still withdraw it). */
    static final int PASSED = 1;
    /** The standby reads now; the thread stands by after its task. */
    static final int TAKEN = 2;
    final Thread thread;
    int state = KEPT;

    Hold(Thread thread) {
      this.thread = thread;
    }
  }

  WorkerLoop(Codec codec, DataOutputStream channel, DataInputStream frames, int concurrency) {
    this(codec, channel, frames, concurrency, TICK_NANOS, MAX_TICK_NANOS, IDLE_TICKS);
  }

  /** With the standby's first and longest interval and its idle looks given (tests choose them). */
  WorkerLoop(Codec codec, DataOutputStream channel, DataInputStream frames, int concurrency, long tickNanos,
      long maxTickNanos, int idleTicks) {
    if (tickNanos <= 0 || maxTickNanos < tickNanos) {
      throw new IllegalArgumentException("tick " + tickNanos + " ns, longest " + maxTickNanos + " ns");
    }
    this.tickNanos = tickNanos;
    this.maxTickNanos = maxTickNanos;
    this.idleTicks = idleTicks;
    this.codec = codec;
    this.channel = channel;
    this.frames = frames;
    this.maxFrame = Protocol.maxFrame(codec.maxBytes());
    this.concurrency = concurrency;
    this.lazyReading = concurrency == 1;
    this.channels = new RemoteChannels(codec, this::send, this::passReadingOn, maxFrame);
    AtomicInteger n = new AtomicInteger();
    this.tasks = Executors.newFixedThreadPool(concurrency + 1, r -> {
      Thread t = new Thread(r, "gearbox-task-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Says HELLO and starts reading frames; {@link #served} completes when they end. */
  void start() throws IOException {
    send(new EngineBound.Hello(ProcessHandle.current().pid()));
    tasks.execute(this::serveFrames);
  }

  /** Reads frames until they end, running the tasks as the concurrency says; ends the worker if this thread fails. */
  private void serveFrames() {
    try {
      if (lazyReading) {
        serveFramesLazily();
      } else {
        serveFramesEagerly();
      }
    } catch (Throwable e) {
      // The reading, or a task counted as running, would be lost with this thread: the worker could
      // only hang. Ending it lets the engine see a crash and replace it.
      System.err.println("gearbox worker: the thread reading the engine's frames failed: " + e);
      Runtime.getRuntime().halt(70);
    }
  }

  /** Reads frames; on a task, hands the reading on at once and runs the task (concurrency above 1). */
  private void serveFramesEagerly() {
    for (;;) {
      Runnable task = readUntilTask();
      if (task == null) {
        return;
      }
      boolean handedOn = handOn();
      task.run();
      if (handedOn) {
        return;
      }
    }
  }

  /** Passes the reading to an idle thread of the pool; false if none can take it (this thread reads on after its task). */
  private boolean handOn() {
    try {
      tasks.execute(this::serveFrames);
      return true;
    } catch (RejectedExecutionException e) {
      // Only after the frames ended (the pool shuts down then): nobody needs to read any more.
      return true;
    } catch (Throwable e) {
      // No thread to take the reading (unable to create a native thread, say): this one reads
      // again after the task, which meanwhile cannot hear a CANCEL (its deadline still kills it).
      return false;
    }
  }

  /**
   * The lazy hand-over (concurrency 1): reads frames; runs a task it read itself and reads on after
   * it while another thread stands by, else hands the reading on first, as {@link #serveFramesEagerly}
   * does; stands by once it no longer reads, and reads again if it takes the reading back. A task
   * it ran keeping the reading leaves its OK unflushed when a whole frame already waits on stdin,
   * so that the OK goes out with the next task's STARTED in one write.
   */
  private void serveFramesLazily() {
    Thread me = Thread.currentThread();
    poll.run(false); // a new reader: the last RUN's task runs on the thread that read it, not done yet
    boolean owed = false; // an OK of this thread's waits in the channel's buffer
    for (;;) {
      Runnable task = readUntilTask(owed);
      owed = false; // flushed, or the task's STARTED flushes it
      if (task == null) {
        return; // a standby sees the end at its next tick
      }
      if (task == STAND_BY) {
        if (!standBy(me)) { // the standby took the reading while this thread flushed
          return;
        }
        continue;
      }
      Hold hold = null;
      synchronized (roles) {
        if (standby != null) {
          hold = new Hold(me);
          held = hold;
          holds++;
        } else {
          standby = me; // after this task: whoever reads next may count on it
        }
      }
      if (hold != null) {
        run(((Begin) task).first);
        boolean keep;
        synchronized (roles) {
          if (held == hold) {
            held = null;
          }
          keep = hold.state != Hold.TAKEN; // a reading passed on and not yet taken is withdrawn
        }
        if (keep) {
          synchronized (waiting) {
            active--; // the next task starts from readUntilTask, once the frames already here are read
          }
          owed = true;
          continue;
        }
        flush(); // still counted as running, so no hold begins (and waits for this thread) before it is done
        runReleasedOrStop();
      } else if (handOn()) {
        task.run();
      } else {
        synchronized (roles) {
          standby = null;
        }
        task.run();
        continue;
      }
      if (!standBy(me)) {
        return;
      }
    }
  }

  /** Returned by {@link #readUntilTask(boolean)} when the standby took the reading while this thread flushed: it stands by now. */
  private static final Runnable STAND_BY = () -> { };

  /**
   * Flushes what the reading thread owes, under a hold the standby can take if the flush blocks (a
   * full pipe to the engine while the engine waits to write to our stdin); with no standby, the
   * replies thread flushes it. Returns false if the standby took the reading meanwhile.
   */
  private boolean flushOwed() {
    synchronized (waiting) {
      active++; // counted as running before its hold can be taken: a reader that takes over starts no task that counts on this thread
    }
    Hold hold = null;
    synchronized (roles) {
      if (standby != null) {
        hold = new Hold(Thread.currentThread());
        held = hold;
        holds++;
      }
    }
    if (hold == null) {
      synchronized (waiting) {
        active--;
      }
      reply(this::flush); // in order after any reply already queued; nothing else is written meanwhile but by the replies thread or a task
      poll.run(false); // the engine answers only once that thread has flushed
      return true;
    }
    flush();
    boolean kept;
    synchronized (roles) {
      if (held == hold) {
        held = null;
      }
      kept = hold.state != Hold.TAKEN;
      if (!kept) {
        flushesOutlasted++;
      }
    }
    if (kept) {
      synchronized (waiting) {
        active--;
      }
      return true;
    }
    runReleasedOrStop();
    return false;
  }

  /**
   * After this thread stopped reading (the standby took its hold) and flushed, still counted as
   * running: runs the tasks the reader released meanwhile, as a thread that ends a task does, and
   * stops counting as running when none is left.
   */
  private void runReleasedOrStop() {
    WorkerTask next;
    synchronized (waiting) {
      next = pollReleased();
      if (next == null) {
        active--;
      }
    }
    if (next != null) {
      runThenWaiting(next);
    }
  }

  /**
   * Under {@link #waiting}: the first task waiting, if it may start now: with lazy reading only once
   * the reading thread released it; else null.
   */
  private WorkerTask pollReleased() {
    WorkerTask first = waiting.peek();
    return first != null && (first.released || !lazyReading) ? waiting.poll() : null;
  }

  /**
   * Lazy reading, once the frames whole on stdin are read: releases every task waiting, and returns
   * the first, counted as running, if fewer than {@code concurrency} run; else null (the thread
   * that ends the running task starts it).
   */
  private Begin startWaiting() {
    synchronized (waiting) {
      for (WorkerTask t : waiting) {
        t.released = true; // the frames whole on stdin are read: nothing behind it can take it out unstarted
      }
      if (active >= concurrency || waiting.isEmpty()) {
        return null;
      }
      active++;
      return new Begin(waiting.poll());
    }
  }

  /**
   * Looks at the reading thread's hold now and then while it runs tasks, and takes the reading when
   * one hold has lasted from one look to the next, or when a task passed it on. The first interval is
   * {@link #tickNanos} and changes with what the looks find ({@link #nextInterval}): it doubles, up to
   * {@link #maxTickNanos}, while tasks keep ending between looks, and goes back to the first after a
   * look that finds no task begun since the last. So a stream of short tasks costs a wake-up every
   * few milliseconds, not every tick; a long task is taken within two intervals of its start: two
   * ticks after a pause, at most two of the longest in a stream. Returns true when this thread now
   * holds the reading, false when it goes back to the pool (no task for {@code idleTicks} looks, or
   * the frames ended).
   */
  private boolean standBy(Thread me) {
    Hold seen = null;
    long last;
    int idle = 0;
    long interval = tickNanos;
    synchronized (roles) {
      standby = me;
      ticking = true;
      last = holds;
    }
    for (;;) {
      synchronized (roles) {
        if (served.isDone()) {
          standby = null;
          ticking = false;
          return false;
        }
        Hold h = held;
        if (h != null && (h.state == Hold.PASSED || h == seen)) {
          h.state = Hold.TAKEN;
          held = null;
          standby = h.thread; // it stands by once its task ends
          ticking = false;
          poll.run(false); // this thread reads now, while the last RUN's task still runs
          return true;
        }
        looks++;
        boolean movedOn = holds != last; // a hold began since the last look, so the one seen then (if any) ended
        boolean ranAtLastLook = seen != null;
        seen = h;
        idle = h == null && !movedOn ? idle + 1 : 0;
        last = holds;
        if (idle >= idleTicks) {
          standby = null;
          ticking = false;
          return false;
        }
        interval = nextInterval(interval, tickNanos, maxTickNanos, movedOn, h != null, ranAtLastLook);
      }
      Thread.interrupted(); // a stale interrupt would turn the timed park into a spin
      LockSupport.parkNanos(this, interval);
    }
  }

  /**
   * The standby's next interval after a look that took nothing. No task began since the last look
   * (so none runs: one that did would have been taken): the next may be long, look again after
   * {@code tick}. A task runs that began after a look that found none (the first sight of a task
   * after a pause): keep the interval, so that a long one is taken one interval later. Otherwise
   * tasks keep ending between looks: double it, up to {@code max}.
   */
  static long nextInterval(long interval, long tick, long max, boolean movedOn, boolean running, boolean ranAtLastLook) {
    if (!movedOn) {
      return tick;
    }
    if (running && !ranAtLastLook) {
      return interval;
    }
    return Math.min(interval * 2, max);
  }

  /** How many owed flushes outlasted their hold (tests check the path they meant to take). */
  int flushesOutlasted() {
    synchronized (roles) {
      return flushesOutlasted;
    }
  }

  /** How many times a standby looked at the reading thread's hold so far (tests count wake-ups). */
  long looks() {
    synchronized (roles) {
      return looks;
    }
  }

  /** How many times the reading thread polled stdin before a read (tests check the path they meant to take). */
  int framePolls() {
    return poll.polls();
  }

  /** How many tasks wait released (tests wait for it). */
  int releasedWaiting() {
    synchronized (waiting) {
      return (int) waiting.stream().filter(t -> t.released).count();
    }
  }

  /** Whether the task sent as {@code wire} is here, waiting or running (tests wait for it to go). */
  boolean hasTask(long wire) {
    return running.containsKey(wire);
  }

  /** Whether a thread stands by, ticking, now (tests wait for it). */
  boolean standingBy() {
    synchronized (roles) {
      return ticking;
    }
  }

  /**
   * Called by a thread of a task before it waits for an answer from the engine (a channel reply):
   * if a thread keeps the reading through its task (this one, or the task's own thread when another
   * thread of the task calls), the reading is passed to the standby at once (waking it if it
   * ticks), since nobody would read the answer otherwise. With one task at a time, the hold kept
   * is that of the caller's task.
   */
  void passReadingOn() {
    if (!lazyReading) {
      return;
    }
    Thread wake = null;
    synchronized (roles) {
      Hold h = held;
      if (h == null || h.state != Hold.KEPT || standby == null) {
        return; // it does not keep the reading (or the frames ended, and the calls are answered as gone)
      }
      h.state = Hold.PASSED;
      if (ticking) {
        wake = standby;
      } // else the standby's task has just ended: it sees the reading passed on at its first look
    }
    if (wake != null) {
      LockSupport.unpark(wake);
    }
  }

  /** Handles frames until one is a task to run here (returned) or the frames end (null; {@link #served} completed). */
  private Runnable readUntilTask() {
    return readUntilTask(false);
  }

  /**
   * As {@link #readUntilTask()}; with {@code owed}, frames written to the engine may wait in the
   * channel's buffer: they are flushed before a read that could block, and before returning null.
   */
  private Runnable readUntilTask(boolean owed) {
    try {
      for (;;) {
        if (lazyReading && (served.isDone() || !Protocol.frameReady(frames))) {
          // Every whole frame already here is handled first, so that a CANCEL or REVOKE behind a
          // RUN finds that task still waiting, as it would on the thread that reads while tasks run.
          Begin next = startWaiting();
          if (next != null) {
            return next; // its STARTED flushes what is owed
          }
          if (owed) {
            owed = false;
            if (!flushOwed()) {
              return STAND_BY;
            }
            continue;
          }
          if (served.isDone()) {
            return null; // SHUTDOWN
          }
          poll.beforeRead(frames); // no whole frame here: the read may wait
        }
        Protocol.Raw raw = Protocol.read(frames, maxFrame);
        if (lazyReading) {
          poll.afterRead();
        }
        if (raw == null) {
          if (owed) {
            reply(this::flush);
          }
          channels.engineGone("the engine is gone");
          served.complete(false);
          return null;
        }
        Runnable task = WorkerBound.dispatch(WorkerBound.decode(raw), this);
        if (task != null) {
          return task;
        }
        if (served.isDone() && !lazyReading) {
          return null; // SHUTDOWN
        }
      }
    } catch (IOException e) {
      System.err.println("gearbox worker: channel from the engine failed: " + e);
      channels.engineGone("the engine is gone");
      served.complete(false); // stdin broke: the engine is gone
      return null;
    } catch (Throwable e) {
      // A frame that is not one, or no memory for it: say so and exit; the engine sees a crash.
      System.err.println("gearbox worker: cannot read the engine's frames: " + e);
      Runtime.getRuntime().halt(70);
      return null;
    }
  }

  // ---------------------------------------------------------------- frames from the engine

  @Override
  public Runnable run(WorkerBound.Run frame) {
    if (lazyReading) {
      poll.run(frame.poll()); // on the reading thread
    }
    // Registered here, before the task runs, so that a CANCEL right behind it is not lost.
    WorkerTask task = new WorkerTask(frame, (wire, fraction, message) -> send(new EngineBound.Progress(wire, fraction, message)));
    running.put(frame.wire(), task);
    synchronized (waiting) {
      if (lazyReading || active >= concurrency) {
        // Prefetched, the next thread to end a task runs it; with lazy reading every task waits
        // here until the frames already on stdin are read (readUntilTask starts it).
        waiting.add(task);
        return null;
      }
      active++;
    }
    return new Begin(task);
  }

  /** A task to begin on the thread that read it, then the tasks waiting behind it. */
  private final class Begin implements Runnable {
    final WorkerTask first;

    Begin(WorkerTask first) {
      this.first = first;
    }

    @Override
    public void run() {
      runThenWaiting(first);
    }
  }

  @Override
  public void cancel(WorkerBound.Cancel frame) {
    WorkerTask t = running.get(frame.wire());
    if (t != null && unqueue(t)) {
      reply(() -> sendFailure(t.wire(), new CancellationException("cancelled before it started")));
    } else if (t != null) {
      t.cancel(frame.interrupt());
    }
  }

  @Override
  public void shutdown() {
    // No frame is read after this one, so no channel call can be answered any more.
    channels.engineGone("the engine shut down while the task was using the channel");
    served.complete(true); // running tasks finish (the engine interrupts them first if it wants them gone)
  }

  @Override
  public void revoke() {
    WorkerTask given; // the most recent held task, or none if every one has started
    synchronized (waiting) {
      given = waiting.pollLast();
    }
    if (given != null) {
      running.remove(given.wire());
    }
    long wire = given == null ? 0 : given.wire();
    reply(() -> {
      try {
        send(new EngineBound.Revoked(wire));
      } catch (IOException e) {
        channelLost(e);
      }
    });
  }

  @Override
  public void channelReply(WorkerBound.ChannelReply reply) {
    channels.reply(reply);
  }

  private void reply(Runnable r) {
    replies.execute(r);
  }

  /** Takes a task out of the waiting line before it starts; false if it is not there (it started). */
  private boolean unqueue(WorkerTask task) {
    boolean removed;
    synchronized (waiting) {
      removed = waiting.remove(task);
    }
    if (removed) {
      running.remove(task.wire());
    }
    return removed;
  }

  // ---------------------------------------------------------------- running

  /**
   * Runs a task, then the tasks waiting behind it, until none waits. A task's OK frame is flushed
   * together with the STARTED of the task that follows it here, so that the engine's reader wakes
   * once for both; when none follows, it is flushed before the task stops counting as running.
   */
  private void runThenWaiting(WorkerTask first) {
    WorkerTask task = first;
    while (task != null) {
      run(task);
      synchronized (waiting) {
        task = pollReleased();
      }
      if (task == null) {
        // Flushed while this task still counts as running: a thread that may block in the flush
        // must not let a new task begin that keeps the reading and counts on it as the standby.
        flush();
        synchronized (waiting) {
          task = pollReleased();
          if (task == null) {
            active--;
          }
        }
      }
    }
  }

  private void flush() {
    try {
      synchronized (channel) {
        channel.flush();
      }
    } catch (IOException e) {
      channelLost(e);
    }
  }

  /**
   * Runs a task and sends its outcome. Anything thrown out of that (the outcome could not be
   * written, nor the failure described) ends the worker: the engine sees a crash of this task and
   * replaces the worker, where a thread left dead here would leave the task counted as running for
   * ever.
   */
  private void run(WorkerTask task) {
    try {
      runTask(task);
    } catch (Throwable e) {
      System.err.println("gearbox worker: cannot finish task " + task.taskName() + ": " + e);
      Runtime.getRuntime().halt(70);
    }
  }

  private void runTask(WorkerTask task) {
    long wire = task.wire();
    TaggingStream.CURRENT_TASK.set(task.taskId());
    task.bind(Thread.currentThread());
    RemoteChannels.TaskRoute route = channels.routeFor(wire, task.taskName());
    try {
      Object result;
      try {
        // STARTED before the work is even read back: a task whose deserialization kills the
        // worker has started as far as the engine is concerned (a crash of its own, not a move).
        send(new EngineBound.Started(wire));
        Work work = (Work) channels.decode(route, task.frame.bytes(), task.frame.workOffset()); // channels it captures take its route
        result = work.run(task);
      } catch (Throwable t) {
        sendFailure(wire, t);
        return;
      }
      byte[] bytes;
      try {
        bytes = codec.encode(result);
      } catch (Throwable e) {
        sendFailure(wire, new NotSerializableException("the result of task " + task.taskName() + " cannot be sent back: "
            + e.getMessage() + (result == null ? "" : " (result class " + result.getClass().getName() + ")")));
        return;
      }
      try {
        write(new EngineBound.Ok(wire, heapInUse(), bytes, 0)); // flushed with the next STARTED if one follows here, else before this thread blocks or stops counting as running
      } catch (IOException e) {
        channelLost(e);
      }
    } finally {
      route.end();
      TaggingStream.CURRENT_TASK.remove();
      running.remove(wire);
      task.unbind();
      Thread.interrupted(); // a cancel that came first must not leak into this thread's next task or read
    }
  }

  /** Sends a failure however badly the exception behaves: as itself, as a description, or as a last resort. */
  private void sendFailure(long wire, Throwable t) {
    byte[] payload;
    try {
      payload = codec.encodeFailure(new byte[0], t);
    } catch (Throwable e) {
      try {
        payload = codec.encodeFailure(new byte[0], new IllegalStateException("the task failed with " + t.getClass().getName()
            + ", which could not be described (" + e.getClass().getName() + ")"));
      } catch (Throwable last) {
        channelLost(new IOException("cannot encode any failure", last));
        return;
      }
    }
    try {
      send(new EngineBound.Fail(wire, heapInUse(), payload, 0));
    } catch (IOException e) {
      channelLost(e);
    }
  }

  /** The engine's pipe is broken: nothing can be reported any more. The engine sees this exit, with this line. */
  static void channelLost(IOException e) {
    System.err.println("gearbox worker: the channel to the engine is broken: " + e);
    Runtime.getRuntime().halt(70);
  }

  /** The heap in use now, sent with every outcome for the engine's memory-based recycling. */
  private static long heapInUse() {
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  void send(EngineBound frame) throws IOException {
    synchronized (channel) {
      frame.write(channel);
      channel.flush();
    }
  }

  /** Writes a frame without flushing it: the caller flushes soon (every path that ends a task flushes). */
  private void write(EngineBound frame) throws IOException {
    synchronized (channel) {
      frame.write(channel);
    }
  }

  /** After the frames ended in order: lets running tasks finish and the last replies go. */
  void drain() throws InterruptedException {
    tasks.shutdown();
    tasks.awaitTermination(1, TimeUnit.MINUTES);
    replies.shutdown();
    replies.awaitTermination(10, TimeUnit.SECONDS);
  }
}
