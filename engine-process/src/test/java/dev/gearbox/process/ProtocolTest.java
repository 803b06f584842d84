package dev.gearbox.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The frames' encodings, the one frame limit, and what is a channel fault. */
class ProtocolTest {
  private static final int MAX = Protocol.maxFrame(64 * 1024);

  private static byte[] bytesOf(WorkerBound... frames) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(b);
    for (WorkerBound f : frames) {
      f.write(out);
    }
    return b.toByteArray();
  }

  private static byte[] bytesOf(EngineBound... frames) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(b);
    for (EngineBound f : frames) {
      f.write(out);
    }
    return b.toByteArray();
  }

  private static DataInputStream in(byte[] bytes) {
    return new DataInputStream(new ByteArrayInputStream(bytes));
  }

  @Test
  void everyWorkerBoundKind_roundTrips_andReachesItsHandlerMethod() throws Exception {
    byte[] work = {9, 8, 7};
    DataInputStream in = in(bytesOf(WorkerBound.Run.of(5, 42, 2, "name", work), WorkerBound.Run.of(6, 43, 1, "n", work).withPoll(true),
        new WorkerBound.Cancel(5, true),
        WorkerBound.Revoke.INSTANCE, WorkerBound.ChannelReply.of(5, 77, WorkerBound.ChannelReply.RECEIVED, 1, work),
        WorkerBound.Shutdown.INSTANCE));
    List<String> seen = new ArrayList<>();
    WorkerBound.Handler h = new WorkerBound.Handler() {
      @Override
      public Runnable run(WorkerBound.Run run) {
        seen.add("run " + run.wire() + " " + run.taskId() + " " + run.attempt() + " " + run.name() + " "
            + (run.bytes().length - run.workOffset()) + " " + run.bytes()[run.workOffset()] + (run.poll() ? " poll" : ""));
        return () -> {};
      }

      @Override
      public void cancel(WorkerBound.Cancel cancel) {
        seen.add("cancel " + cancel.wire() + " " + cancel.interrupt());
      }

      @Override
      public void shutdown() {
        seen.add("shutdown");
      }

      @Override
      public void revoke() {
        seen.add("revoke");
      }

      @Override
      public void channelReply(WorkerBound.ChannelReply reply) {
        seen.add("reply " + reply.wire() + " " + reply.call() + " " + reply.outcome() + " " + reply.index() + " "
            + (reply.bytes().length - reply.offset()) + " " + reply.bytes()[reply.offset()]);
      }
    };
    Protocol.Raw raw;
    List<Boolean> ranHere = new ArrayList<>();
    while ((raw = Protocol.read(in, MAX)) != null) {
      ranHere.add(WorkerBound.dispatch(WorkerBound.decode(raw), h) != null);
    }
    assertThat(seen).containsExactly("run 5 42 2 name 3 9", "run 6 43 1 n 3 9 poll", "cancel 5 true", "revoke", "reply 5 77 1 1 3 9",
        "shutdown");
    assertThat(ranHere).containsExactly(true, true, false, false, false, false);
  }

  @Test
  void everyEngineBoundKind_roundTrips() throws Exception {
    byte[] result = {0, 0, 1, 2};
    DataInputStream in = in(bytesOf(new EngineBound.Hello(1234), new EngineBound.Started(7),
        new EngineBound.Ok(7, 99, result, 2), new EngineBound.Fail(8, 100, result, 0), new EngineBound.Progress(7, 0.5, "half"),
        new EngineBound.Revoked(0)));
    List<EngineBound> frames = new ArrayList<>();
    Protocol.Raw raw;
    while ((raw = Protocol.read(in, MAX)) != null) {
      frames.add(EngineBound.decode(raw));
    }
    assertThat(frames).hasSize(6);
    assertThat(frames.get(0)).isEqualTo(new EngineBound.Hello(1234));
    assertThat(frames.get(1)).isEqualTo(new EngineBound.Started(7));
    EngineBound.Ok ok = (EngineBound.Ok) frames.get(2);
    assertThat(ok.wire()).isEqualTo(7);
    assertThat(ok.heapInUse()).isEqualTo(99);
    assertThat(java.util.Arrays.copyOfRange(ok.bytes(), ok.offset(), ok.bytes().length)).containsExactly(1, 2);
    EngineBound.Fail fail = (EngineBound.Fail) frames.get(3);
    assertThat(fail.heapInUse()).isEqualTo(100);
    assertThat(fail.bytes().length - fail.offset()).isEqualTo(4);
    assertThat(frames.get(4)).isEqualTo(new EngineBound.Progress(7, 0.5, "half"));
    assertThat(frames.get(5)).isEqualTo(new EngineBound.Revoked(0));
  }

  @Test
  void theChannelFrames_roundTrip() throws Exception {
    EngineBound.ChannelCall call = new EngineBound.ChannelCall(7, 3, true, 1, List.of(
        new EngineBound.ChannelCall.Case(EngineBound.ChannelCall.RECEIVE, "id-a", "a", new byte[0]),
        new EngineBound.ChannelCall.Case(EngineBound.ChannelCall.SEND, "id-b", "b ✓", new byte[] {4, 5})));
    DataInputStream in = in(bytesOf(call, new EngineBound.ChannelWithdraw(7, 3), new EngineBound.ChannelAck(7, 4)));
    EngineBound.ChannelCall back = (EngineBound.ChannelCall) EngineBound.decode(Protocol.read(in, MAX));
    assertThat(back.wire()).isEqualTo(7);
    assertThat(back.call()).isEqualTo(3);
    assertThat(back.mayWait()).isTrue();
    assertThat(back.start()).isEqualTo(1);
    assertThat(back.cases()).hasSize(2);
    assertThat(back.cases().get(1).channelName()).isEqualTo("b ✓");
    assertThat(back.cases().get(1).argument()).containsExactly(4, 5);
    assertThat(EngineBound.decode(Protocol.read(in, MAX))).isEqualTo(new EngineBound.ChannelWithdraw(7, 3));
    assertThat(EngineBound.decode(Protocol.read(in, MAX))).isEqualTo(new EngineBound.ChannelAck(7, 4));
  }

  @Test
  void aChannelCallClaimingMoreCasesThanItCarries_isAChannelFault_notAnAllocation() throws Exception {
    java.nio.ByteBuffer p = java.nio.ByteBuffer.allocate(17).putLong(1).put((byte) 1).putInt(0).putInt(Integer.MAX_VALUE);
    assertThatThrownBy(() -> EngineBound.decode(new Protocol.Raw(EngineBound.CHANNEL_CALL, 1, p.array())))
        .isInstanceOf(Protocol.ChannelFault.class).hasMessageContaining("case(s)");
    EngineBound.ChannelCall close = new EngineBound.ChannelCall(1, 1, false, 0, List.of(
        new EngineBound.ChannelCall.Case(EngineBound.ChannelCall.CLOSE, "x", "x", new byte[0]),
        new EngineBound.ChannelCall.Case(EngineBound.ChannelCall.CLOSE, "y", "y", new byte[0])));
    byte[] frame = bytesOf(close);
    assertThatThrownBy(() -> EngineBound.decode(Protocol.read(in(frame), MAX))).isInstanceOf(Protocol.ChannelFault.class)
        .hasMessageContaining("operation 2");
  }

  @Test
  void strayBytes_areAChannelFault_namingWhatCame() {
    byte[] text = "hello from a task\n".getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> Protocol.read(in(text), MAX)).isInstanceOf(Protocol.ChannelFault.class)
        .hasMessageContaining("stray bytes");
  }

  @Test
  void aFrameCutShort_isAChannelFault_notAWait() throws Exception {
    byte[] whole = bytesOf(new EngineBound.Hello(1));
    byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 3);
    assertThatThrownBy(() -> Protocol.read(in(cut), MAX)).isInstanceOf(Protocol.ChannelFault.class)
        .hasMessageContaining("ended inside a frame");
  }

  @Test
  void aFrameOverTheLimit_isRefusedBeforeItsPayloadIsRead() throws Exception {
    byte[] big = bytesOf(new EngineBound.Ok(1, 0, new byte[MAX], 0));
    assertThatThrownBy(() -> Protocol.read(in(java.util.Arrays.copyOf(big, Protocol.HEADER_BYTES)), MAX))
        .isInstanceOf(Protocol.ChannelFault.class).hasMessageContaining("exceeds the limit")
        .hasMessageContaining("gearbox.process.max-payload");
  }

  @Test
  void anotherProtocolVersion_isAChannelFault_namingBoth() throws Exception {
    byte[] frame = bytesOf(new EngineBound.Started(1));
    frame[2] = 9;
    assertThatThrownBy(() -> Protocol.read(in(frame), MAX)).isInstanceOf(Protocol.ChannelFault.class)
        .hasMessageContaining("version 9").hasMessageContaining("speaks " + Protocol.VERSION);
  }

  @Test
  void anUnknownKind_orAPayloadTooShortForItsKind_isAChannelFault() throws Exception {
    byte[] frame = bytesOf(new EngineBound.Started(1));
    frame[3] = 99;
    Protocol.Raw unknown = Protocol.read(in(frame), MAX);
    assertThatThrownBy(() -> EngineBound.decode(unknown)).isInstanceOf(Protocol.ChannelFault.class)
        .hasMessageContaining("unexpected frame kind 99");
    assertThatThrownBy(() -> WorkerBound.decode(new Protocol.Raw(WorkerBound.RUN, 1, new byte[5])))
        .isInstanceOf(Protocol.ChannelFault.class).hasMessageContaining("too short");
    assertThatThrownBy(() -> EngineBound.decode(new Protocol.Raw(EngineBound.OK, 1, new byte[3])))
        .isInstanceOf(Protocol.ChannelFault.class).hasMessageContaining("too short");
    byte[] run = new byte[WorkerBound.Run.FIXED];
    run[12] = 2; // flags: a bit this side does not know
    assertThatThrownBy(() -> WorkerBound.decode(new Protocol.Raw(WorkerBound.RUN, 1, run)))
        .isInstanceOf(Protocol.ChannelFault.class).hasMessageContaining("unknown flags 2");
  }

  @Test
  void aNameLongerThanTheLimit_isCut_soTheFrameFits() throws Exception {
    WorkerBound.Run run = WorkerBound.Run.of(1, 1, 1, "é".repeat(100_000), new byte[0]);
    Protocol.Raw raw = Protocol.read(in(bytesOf(run)), MAX);
    WorkerBound.Run back = (WorkerBound.Run) WorkerBound.decode(raw);
    assertThat(back.name().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(Protocol.MAX_NAME_BYTES);
    assertThat(back.name()).startsWith("éé").doesNotContain("\uFFFD");
    Protocol.Raw euros = Protocol.read(in(bytesOf(WorkerBound.Run.of(1, 1, 1, "€".repeat(10_000), new byte[0]))), MAX);
    assertThat(((WorkerBound.Run) WorkerBound.decode(euros)).name()).matches("€+").hasSize(Protocol.MAX_NAME_BYTES / 3);
    assertThat(run.payloadLength()).isEqualTo(raw.payload().length);
  }
}
