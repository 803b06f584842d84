package dev.gearbox.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a worker, or a child process sharing its output, writes cannot make the engine hold more than a bounded line. */
class WorkerOutputTest {
  private static InputStream endless(int bytes, String after) {
    byte[] run = new byte[bytes];
    Arrays.fill(run, (byte) 'x');
    return new SequenceInputStream(new ByteArrayInputStream(run), new ByteArrayInputStream(after.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void aRunWithoutNewlines_comesInBoundedLines_andTheLinesAfterItStillArrive() throws Exception {
    List<String> lines = new ArrayList<>();
    try (BoundedLines r = new BoundedLines(endless(20 << 20, "\nafter\r\nlast"), 8192)) {
      String line;
      while ((line = r.next()) != null) {
        lines.add(line);
      }
    }
    assertThat(lines).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(8192));
    assertThat(lines.subList(lines.size() - 2, lines.size())).containsExactly("after", "last");
    assertThat(lines.stream().mapToLong(String::length).sum()).isEqualTo((20L << 20) + "afterlast".length());
  }

  @Test
  void theCrashTail_keepsBoundedLines() throws Exception {
    WorkerOutput output = new WorkerOutput("test-output", () -> "worker-1", () -> false, stdin -> {});
    output.setProcessOutputStream(endless(5 << 20, "\nlast words\n"));
    output.setProcessErrorStream(InputStream.nullInputStream());
    output.start();
    output.stop(); // waits for the pumps to drain what was written
    String tail = output.tail();
    assertThat(tail).endsWith("[stdout] last words");
    assertThat(tail.lines()).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(WorkerOutput.MAX_TAIL_LINE + 20));
  }

  @Test
  void withoutALogger_workerLinesAreStillPrinted_taggedWithTheWorker() throws Exception {
    java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
    java.io.PrintStream sink = new java.io.PrintStream(printed, true, StandardCharsets.UTF_8);
    WorkerOutput output = new WorkerOutput("test-output", () -> "worker-7 pid 42", () -> false, stdin -> {}, sink);
    output.setProcessOutputStream(new ByteArrayInputStream("from a task\n".getBytes(StandardCharsets.UTF_8)));
    output.setProcessErrorStream(new ByteArrayInputStream("from stderr\n".getBytes(StandardCharsets.UTF_8)));
    output.start();
    output.stop();
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("[worker-7 pid 42] from a task")
        .contains("[worker-7 pid 42] from stderr");
  }
}
