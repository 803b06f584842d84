package dev.gearbox.process;

import dev.gearbox.spi.Work;
import dev.gearbox.spi.remote.SerialCodec;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The worker JVM's entry point: makes {@code System.out} and {@code System.err} log streams tagged
 * per task before any task class loads, takes stdin for the engine's frames, and runs a
 * {@link WorkerLoop} that writes its frames to the named pipe given as the first argument, never to
 * stdout: what tasks print (System.out, System.err, writes to file descriptor 1, child processes
 * inheriting them) goes to the engine's log, tagged with the task when a task thread printed it.
 *
 * <p>Exits when stdin ends: at once if the engine did not say SHUTDOWN first (the engine is gone,
 * so results have nowhere to go), after the running tasks otherwise. A watcher also exits if the
 * engine's process disappears, in case stdin stays open.
 *
 * <pre>java -cp ... dev.gearbox.process.WorkerMain FIFO PARENT_PID NAME CONCURRENCY MAX_PAYLOAD [FILTER]</pre>
 */
public final class WorkerMain {
  private WorkerMain() {}

  public static void main(String[] args) throws Exception {
    // Before any task class loads: stdout and stderr become log streams tagged per task.
    System.setOut(new PrintStream(new TaggingStream(new FileOutputStream(FileDescriptor.out)), true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(new TaggingStream(new FileOutputStream(FileDescriptor.err)), true, StandardCharsets.UTF_8));
    if (args.length < 5) {
      System.err.println("usage: WorkerMain FIFO PARENT_PID NAME CONCURRENCY MAX_PAYLOAD [FILTER]");
      System.exit(2);
    }
    // Frames arrive on stdin: keep it for ourselves, so a task reading System.in cannot steal them.
    java.io.InputStream stdin = System.in;
    System.setIn(java.io.InputStream.nullInputStream());
    long parentPid = Long.parseLong(args[1]);
    int concurrency = Integer.parseInt(args[3]);
    int maxPayload = Integer.parseInt(args[4]);
    SerialCodec codec = new SerialCodec(maxPayload, args.length > 5 ? args[5] : null, ProcessBackendProvider.MAX_PAYLOAD);
    watchParent(args[0], parentPid);
    DataOutputStream channel = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(args[0]), 1 << 16));
    initialize(codec, args[0]);
    WorkerLoop worker = new WorkerLoop(codec, channel, new DataInputStream(new BufferedInputStream(stdin, 1 << 16)), concurrency);
    worker.start();
    boolean orderly = worker.served.join();
    if (!orderly) {
      removePipeIfOrphaned(args[0], parentPid);
      Runtime.getRuntime().halt(0); // nobody wants the results
    }
    worker.drain();
    System.out.flush();
    System.err.flush();
    System.exit(0);
  }

  /**
   * Runs the engine's worker initializer, if it left one beside our pipe, before we say HELLO: a
   * worker whose initializer throws never takes a task. It leaves the failure, encoded, beside its
   * pipe for the engine to read, prints it, and exits with {@link WorkerPool#INIT_FAILED_EXIT}.
   */
  private static void initialize(SerialCodec codec, String fifo) {
    Path start = Path.of(fifo).resolveSibling(WorkerPool.START_FILE);
    if (!Files.isRegularFile(start)) {
      return;
    }
    try {
      ((Work) codec.decode(Files.readAllBytes(start), 0)).run(null);
    } catch (Throwable t) {
      try {
        Files.write(Path.of(fifo + WorkerPool.INIT_FAILED_SUFFIX), codec.encodeFailure(new byte[0], t));
      } catch (IOException | RuntimeException e) {
        t.addSuppressed(e);
      }
      System.err.println("Gearbox worker: the worker initializer failed; this worker takes no task");
      t.printStackTrace();
      System.err.flush();
      System.exit(WorkerPool.INIT_FAILED_EXIT);
    }
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
}
