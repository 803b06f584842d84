package dev.gearbox.cluster;

import dev.gearbox.EngineException;
import dev.gearbox.WorkerCrashedException;
import dev.gearbox.spi.Attempt;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The answer of a member with {@code isolation=process} whose worker process died under a task
 * (it exited, halted, ran out of memory, was killed by the stop ladder): tag
 * {@link MemberRuntime#CRASHED}, then the worker, what happened, the exit code and the worker's
 * last output lines. The engine turns it back into a {@link WorkerCrashedException} that names
 * the task, the worker and its member, and counts it towards the task's poison threshold: only
 * the task whose worker died, not the member's other tasks.
 *
 * <p>Stateless and thread-safe.
 */
final class CrashedAnswer {
  private CrashedAnswer() {}

  /** The answer for the member's local report of a worker's death. */
  static byte[] encode(WorkerCrashedException crash) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + crash.stderrTail().length());
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(MemberRuntime.CRASHED);
      out.writeUTF(crash.worker());
      out.writeUTF(clip(what(crash)));
      out.writeInt(crash.exitCode().orElse(Integer.MIN_VALUE));
      out.writeUTF(clip(crash.stderrTail()));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen in memory
    }
    return bytes.toByteArray();
  }

  /**
   * The crash as the engine reports it, the worker named with the member it ran on.
   *
   * @param member the member, as messages name it
   * @param tagAt where the answer's tag is in {@code data}
   * @throws IOException if the answer is malformed
   */
  static WorkerCrashedException decode(Attempt a, String member, byte[] data, int tagAt) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, tagAt + 1, data.length - tagAt - 1));
    String worker = in.readUTF();
    String what = in.readUTF();
    int exit = in.readInt();
    String tail = in.readUTF();
    return new WorkerCrashedException(a.taskId(), a.taskName(), worker + " on " + member, what,
        exit == Integer.MIN_VALUE ? null : exit, tail, null);
  }

  /**
   * What happened, without what {@link WorkerCrashedException} adds around it (the task before,
   * the worker and its output after), so the engine can word it again with the member.
   */
  static String what(WorkerCrashedException crash) {
    String m = withoutTask(crash);
    int worker = m.indexOf(" (" + crash.worker() + ")");
    return worker < 0 ? m : m.substring(0, worker);
  }

  /** The message of {@code e} without the task's name that {@link EngineException} puts first. */
  static String withoutTask(EngineException e) {
    String m = String.valueOf(e.getMessage());
    String prefix = "task " + e.taskName() + " (id " + e.taskId() + "): ";
    return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
  }

  /** {@code writeUTF} takes at most 65,535 bytes; a crash tail is 30 lines of at most 1 KiB each, so this is a bound, not a cut. */
  private static String clip(String s) {
    return s.length() > 16_000 ? s.substring(s.length() - 16_000) : s;
  }
}
