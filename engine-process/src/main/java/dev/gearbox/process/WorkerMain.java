package dev.gearbox.process;

import dev.gearbox.TaskContext;
import dev.gearbox.process.Frames.Frame;
import dev.gearbox.spi.remote.SerialCodec;
import dev.gearbox.spi.Work;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker JVM's entry point. Reads frames from stdin, runs up to {@code concurrency} tasks at
 * once (the thread that reads a task runs it), and writes frames to the named pipe given as its first argument, never to stdout:
 * what tasks print (System.out, System.err, writes to file descriptor 1, child processes
 * inheriting them) goes to the engine's log, tagged with the task when a task thread printed it.
 *
 * <p>Exits when stdin ends: at once if the engine did not say SHUTDOWN first (the engine is gone,
 * so results have nowhere to go), after the running tasks otherwise. A watcher also exits if the
 * engine's process disappears, in case stdin stays open.
 *
 * <pre>java -cp ... dev.gearbox.process.WorkerMain FIFO PARENT_PID NAME CONCURRENCY MAX_PAYLOAD [FILTER]</pre>
 */
public final class WorkerMain {
  private static final ThreadLocal<Long> CURRENT_TASK = new ThreadLocal<>();

  private final SerialCodec codec;
  private final DataOutputStream channel;
  /**
   * {@code concurrency + 1} threads: at most {@code concurrency} run tasks, and one more reads
   * the frames. Whichever thread reads a task runs it if fewer than {@code concurrency} run,
   * after handing the reading to an idle thread (leader/follower): a task starts without a
   * wake-up. Otherwise the task waits in {@link #waiting} (the engine's prefetch: the next task is
   * here when one ends) and the thread that ends a task runs it next.
   */
  private final ExecutorService tasks;
  /** One thread for the answers the reader owes the engine (REVOKED, a held task's cancellation). */
  private final ExecutorService replies = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "gearbox-replies");
    t.setDaemon(true);
    return t;
  });
  private final int concurrency;
  private final Map<Long, RunningTask> running = new ConcurrentHashMap<>();
  /** Guarded by itself, with {@link #active}: tasks received and not started, in arrival order. */
  private final java.util.ArrayDeque<RunningTask> waiting = new java.util.ArrayDeque<>();
  private int active;
  /** Completed when the frames end: true if the engine said SHUTDOWN first. */
  private final CompletableFuture<Boolean> served = new CompletableFuture<>();
  private final DataInputStream frames;
  private final int maxFrame;

  private WorkerMain(SerialCodec codec, DataOutputStream channel, int concurrency, DataInputStream frames, int maxFrame) {
    this.codec = codec;
    this.channel = channel;
    this.frames = frames;
    this.maxFrame = maxFrame;
    this.concurrency = concurrency;
    AtomicInteger n = new AtomicInteger();
    this.tasks = Executors.newFixedThreadPool(concurrency + 1, r -> {
      Thread t = new Thread(r, "gearbox-task-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  public static void main(String[] args) throws Exception {
    // Before any task class loads: stdout and stderr become log streams tagged per task.
    System.setOut(new PrintStream(new TaggingStream(new FileOutputStream(FileDescriptor.out)), true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(new TaggingStream(new FileOutputStream(FileDescriptor.err)), true, StandardCharsets.UTF_8));
    if (args.length < 5) {
      System.err.println("usage: WorkerMain FIFO PARENT_PID NAME CONCURRENCY MAX_PAYLOAD [FILTER]");
      System.exit(2);
    }
    // Frames arrive on stdin: keep it for ourselves, so a task reading System.in cannot steal them.
    java.io.InputStream frames = System.in;
    System.setIn(java.io.InputStream.nullInputStream());
    long parentPid = Long.parseLong(args[1]);
    int concurrency = Integer.parseInt(args[3]);
    int maxPayload = Integer.parseInt(args[4]);
    SerialCodec codec = new SerialCodec(maxPayload, args.length > 5 ? args[5] : null, "gearbox.process.max-payload");
    watchParent(args[0], parentPid);
    DataOutputStream channel = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(args[0]), 1 << 16));
    WorkerMain worker = new WorkerMain(codec, channel, concurrency, new DataInputStream(new BufferedInputStream(frames, 1 << 16)),
        maxPayload + 65_536);
    worker.send(Frames.HELLO, 0, ByteBuffer.allocate(8).putLong(ProcessHandle.current().pid()).array());
    worker.tasks.execute(worker::serveFrames);
    boolean orderly = worker.served.join();
    if (!orderly) {
      removePipeIfOrphaned(args[0], parentPid);
      Runtime.getRuntime().halt(0); // nobody wants the results
    }
    worker.tasks.shutdown();
    worker.tasks.awaitTermination(1, TimeUnit.MINUTES);
    worker.replies.shutdown();
    worker.replies.awaitTermination(10, TimeUnit.SECONDS);
    System.out.flush();
    System.err.flush();
    System.exit(0);
  }

  /**
   * When the engine is gone it cannot clean up after us: deletes our pipe, and the pipe directory
   * once it is empty and the engine has really disappeared (a killed engine can linger a moment
   * as an unreaped zombie, which still counts as alive).
   */
  private static void removePipeIfOrphaned(String fifo, long parentPid) {
    java.io.File f = new java.io.File(fifo);
    f.delete(); // EOF without SHUTDOWN only happens when the engine is gone; the engine deletes it too otherwise
    java.io.File dir = f.getParentFile();
    for (int i = 0; i < 40 && ProcessHandle.of(parentPid).map(ProcessHandle::isAlive).orElse(false); i++) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        return;
      }
    }
    if (ProcessHandle.of(parentPid).map(ProcessHandle::isAlive).orElse(false)) {
      return; // the engine lives and owns the directory
    }
    String[] left = dir == null ? null : dir.list();
    if (left != null && left.length == 0) {
      dir.delete();
    }
  }

  /** Exits if the engine's JVM dies without closing our stdin (belt and braces). */
  private static void watchParent(String fifo, long parentPid) {
    Thread t = new Thread(() -> {
      ProcessHandle parent = ProcessHandle.of(parentPid).orElse(null);
      while (parent != null && parent.isAlive()) {
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          return;
        }
      }
      removePipeIfOrphaned(fifo, parentPid);
      Runtime.getRuntime().halt(0);
    }, "gearbox-parent-watch");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Reads frames until they end. On a task, hands the reading to another thread of the pool and
   * runs the task itself.
   */
  private void serveFrames() {
    for (;;) {
      Runnable task = readUntilTask();
      if (task == null) {
        return;
      }
      boolean handedOn = true;
      try {
        tasks.execute(this::serveFrames);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // Only after the frames ended (the pool shuts down then): nobody needs to read any more.
      } catch (Throwable e) {
        // No thread to take the reading (unable to create a native thread, say): this one reads
        // again after the task, which meanwhile cannot hear a CANCEL (its deadline still kills it).
        handedOn = false;
      }
      task.run();
      if (handedOn) {
        return;
      }
    }
  }

  /** Handles frames until one is a task (returned to run) or the frames end (null; {@link #served} completed). */
  private Runnable readUntilTask() {
    try {
      for (;;) {
        Frame f = Frames.read(frames, maxFrame);
        if (f == null) {
          served.complete(false);
          return null;
        }
        switch (f.type()) {
          case Frames.RUN -> {
            // Registered here, before the task runs, so that a CANCEL right behind it is not lost.
            ByteBuffer header = ByteBuffer.wrap(f.payload());
            long taskId = header.getLong();
            int attempt = header.getInt();
            int nameLength = header.getInt();
            String name = new String(f.payload(), 16, nameLength, StandardCharsets.UTF_8);
            RunningTask task = new RunningTask(f.taskId(), taskId, name, attempt, f.payload(), 16 + nameLength);
            running.put(f.taskId(), task);
            synchronized (waiting) {
              if (active >= concurrency) {
                waiting.add(task); // prefetched: the next thread to end a task runs it
                continue;
              }
              active++;
            }
            return () -> runThenWaiting(task);
          }
          case Frames.CANCEL -> {
            RunningTask r = running.get(f.taskId());
            if (r != null && unqueue(r)) {
              reply(() -> sendFailure(r.wireId, new java.util.concurrent.CancellationException("cancelled before it started")));
            } else if (r != null) {
              r.cancel(f.payload().length > 0 && f.payload()[0] == 1);
            }
          }
          case Frames.REVOKE -> {
            RunningTask given; // the most recent held task, or none if every one has started
            synchronized (waiting) {
              given = waiting.pollLast();
            }
            if (given != null) {
              running.remove(given.wireId);
            }
            long wire = given == null ? 0 : given.wireId;
            reply(() -> {
              try {
                send(Frames.REVOKED, wire, new byte[0]);
              } catch (IOException e) {
                channelLost(e);
              }
            });
          }
          case Frames.SHUTDOWN -> {
            served.complete(true); // running tasks finish (the engine interrupts them first if it wants them gone)
            return null;
          }
          default -> throw new Frames.ChannelFault("unexpected frame type " + f.type() + " from the engine");
        }
      }
    } catch (IOException e) {
      System.err.println("gearbox worker: channel from the engine failed: " + e);
      served.complete(false); // stdin broke: the engine is gone
      return null;
    } catch (Throwable e) {
      // A frame that is not one, or no memory for it: say so and exit; the engine sees a crash.
      System.err.println("gearbox worker: cannot read the engine's frames: " + e);
      Runtime.getRuntime().halt(70);
      return null;
    }
  }

  /**
   * Answers the engine off the reading thread: a reader blocked writing to a full pipe while the
   * engine is blocked writing to our full stdin would wait for ever.
   */
  private void reply(Runnable r) {
    replies.execute(r);
  }

  /** Takes a task out of the waiting line before it starts; false if it is not there (it started). */
  private boolean unqueue(RunningTask task) {
    boolean removed;
    synchronized (waiting) {
      removed = waiting.remove(task);
    }
    if (removed) {
      running.remove(task.wireId);
    }
    return removed;
  }

  /** Runs a task, then the tasks waiting behind it, until none waits. */
  private void runThenWaiting(RunningTask first) {
    RunningTask task = first;
    while (task != null) {
      run(task, task.payload, task.workOffset);
      synchronized (waiting) {
        task = waiting.poll();
        if (task == null) {
          active--;
        }
      }
    }
  }

  private void run(RunningTask task, byte[] payload, int workOffset) {
    long wire = task.wireId;
    CURRENT_TASK.set(task.id);
    task.bind(Thread.currentThread());
    try {
      Object result;
      try {
        // STARTED before the work is even read back: a task whose deserialization kills the
        // worker has started as far as the engine is concerned (a crash of its own, not a move).
        send(Frames.STARTED, wire, new byte[0]);
        Work work = (Work) codec.decode(payload, workOffset);
        result = work.run(task);
      } catch (Throwable t) {
        sendFailure(wire, t);
        return;
      }
      byte[] bytes;
      try {
        bytes = codec.encode(result);
      } catch (Throwable e) {
        sendFailure(wire, new java.io.NotSerializableException("the result of task " + task.name + " cannot be sent back: "
            + e.getMessage() + (result == null ? "" : " (result class " + result.getClass().getName() + ")")));
        return;
      }
      try {
        send(Frames.OK, wire, withHeap(bytes));
      } catch (IOException e) {
        channelLost(e);
      }
    } finally {
      CURRENT_TASK.remove();
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
      send(Frames.FAIL, wire, withHeap(payload));
    } catch (IOException e) {
      channelLost(e);
    }
  }

  /** The engine's pipe is broken: nothing can be reported any more. The engine sees this exit, with this line. */
  private static void channelLost(IOException e) {
    System.err.println("gearbox worker: the channel to the engine is broken: " + e);
    Runtime.getRuntime().halt(70);
  }

  /** Prefixes a payload with the heap in use now, for the engine's memory-based recycling. */
  private static byte[] withHeap(byte[] payload) {
    Runtime rt = Runtime.getRuntime();
    return ByteBuffer.allocate(8 + payload.length).putLong(rt.totalMemory() - rt.freeMemory()).put(payload).array();
  }

  private void send(byte type, long id, byte[] payload) throws IOException {
    synchronized (channel) {
      Frames.write(channel, type, id, payload);
      channel.flush();
    }
  }

  /** A task's context in the worker: cancellation arrives as CANCEL frames, progress leaves as PROGRESS frames. */
  private final class RunningTask implements TaskContext {
    private final long wireId;
    private final long id;
    private final String name;
    private final int attempt;
    private Thread thread;
    private boolean interruptRequested;
    private volatile boolean cancelled;

    /** The RUN frame's payload, and where the serialized work starts in it. */
    private final byte[] payload;
    private final int workOffset;

    RunningTask(long wireId, long id, String name, int attempt, byte[] payload, int workOffset) {
      this.wireId = wireId;
      this.id = id;
      this.name = name;
      this.attempt = attempt;
      this.payload = payload;
      this.workOffset = workOffset;
    }

    /** The task thread starts; an interrupt that came first is delivered now. */
    synchronized void bind(Thread t) {
      thread = t;
      if (interruptRequested) {
        t.interrupt();
      }
    }

    /** The task has ended: a late cancel interrupts nothing (the thread moves on to other work). */
    synchronized void unbind() {
      thread = null;
    }

    synchronized void cancel(boolean interrupt) {
      cancelled = true;
      if (interrupt) {
        interruptRequested = true;
        if (thread != null) {
          thread.interrupt();
        }
      }
    }

    @Override
    public long taskId() {
      return id;
    }

    @Override
    public String taskName() {
      return name;
    }

    @Override
    public int attempt() {
      return attempt;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public void progress(double fraction, String message) {
      if (!(fraction >= 0.0 && fraction <= 1.0)) {
        throw new IllegalArgumentException("progress fraction must be within [0, 1], got " + fraction);
      }
      byte[] text = message == null ? new byte[0] : message.getBytes(StandardCharsets.UTF_8);
      try {
        send(Frames.PROGRESS, wireId, ByteBuffer.allocate(8 + text.length).putDouble(fraction).put(text).array());
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /** Buffers each thread's output to the end of a line, then writes it prefixed with its task. */
  private static final class TaggingStream extends OutputStream {
    private final OutputStream target;
    private final ThreadLocal<ByteArrayOutputStream> line = ThreadLocal.withInitial(ByteArrayOutputStream::new);

    TaggingStream(OutputStream target) {
      this.target = target;
    }

    @Override
    public void write(int b) throws IOException {
      ByteArrayOutputStream buf = line.get();
      buf.write(b);
      if (b == '\n') {
        flushLine(buf);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      for (int i = off; i < off + len; i++) {
        write(b[i]);
      }
    }

    /** Lines are written whole (a PrintStream flushes after every print); only a huge partial line is cut. */
    @Override
    public void flush() throws IOException {
      ByteArrayOutputStream buf = line.get();
      if (buf.size() > 8192) {
        flushLine(buf);
      }
      synchronized (target) {
        target.flush();
      }
    }

    private void flushLine(ByteArrayOutputStream buf) throws IOException {
      Long task = CURRENT_TASK.get();
      synchronized (target) {
        if (task != null) {
          target.write(("[task " + task + "] ").getBytes(StandardCharsets.UTF_8));
        }
        buf.writeTo(target);
        target.flush();
      }
      buf.reset();
    }
  }
}
