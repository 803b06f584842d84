package dev.gearbox.process;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The frames the engine sends a worker, over the worker's stdin, one record per kind, each with
 * its payload's encoding and decoding (framing: {@link Protocol}). A worker handles them through
 * {@link Handler}, one method per kind.
 */
sealed interface WorkerBound {
  byte RUN = 1;
  byte CANCEL = 2;
  byte SHUTDOWN = 3;
  byte REVOKE = 4;
  byte CHANNEL_REPLY = 5;

  /** Writes the whole frame; the caller serializes writers and flushes. */
  void write(DataOutputStream out) throws IOException;

  /** The payload's length in bytes (for the engine's traffic metrics). */
  int payloadLength();

  /** What a worker does with each kind. Called on the thread that reads the frames. */
  interface Handler {
    /** @return the task to run in the reading thread now, or null if it waits (prefetched) */
    Runnable run(Run run);

    void cancel(Cancel cancel);

    /** The engine wants no more tasks: running ones finish, then the worker exits. */
    void shutdown();

    void revoke();

    /** The answer to a channel call; must not block (called on the reading thread). */
    void channelReply(ChannelReply reply);
  }

  /** Hands a frame to its handler method; returns what {@link Handler#run} returned, else null. */
  static Runnable dispatch(WorkerBound frame, Handler handler) {
    switch (frame) {
      case Run r -> {
        return handler.run(r);
      }
      case Cancel c -> handler.cancel(c);
      case Shutdown s -> handler.shutdown();
      case Revoke r -> handler.revoke();
      case ChannelReply c -> handler.channelReply(c);
    }
    return null;
  }

  /** Decodes a frame read by {@link Protocol#read}. */
  static WorkerBound decode(Protocol.Raw raw) throws Protocol.ChannelFault {
    return switch (raw.kind()) {
      case RUN -> Run.decode(raw.wire(), raw.payload());
      case CANCEL -> new Cancel(raw.wire(), raw.payload().length > 0 && raw.payload()[0] == 1);
      case SHUTDOWN -> Shutdown.INSTANCE;
      case REVOKE -> Revoke.INSTANCE;
      case CHANNEL_REPLY -> ChannelReply.decode(raw.wire(), raw.payload());
      default -> throw new Protocol.ChannelFault("unexpected frame kind " + raw.kind() + " from the engine");
    };
  }

  /**
   * Run one attempt: its task id, attempt number, name (UTF-8, cut to
   * {@link Protocol#MAX_NAME_BYTES}), whether the worker may poll its stdin a moment after this
   * task instead of blocking at once ({@code poll}: the engine sees a CPU to spare; see
   * {@link FramePoll}), and the encoded work, which starts at {@code workOffset} of {@code bytes}.
   *
   * <pre>taskId i64 | attempt i32 | flags u8 (bit 0: poll) | nameLength i32 | name (UTF-8) | work</pre>
   */
  record Run(long wire, long taskId, int attempt, boolean poll, byte[] nameUtf8, byte[] bytes, int workOffset)
      implements WorkerBound {
    /** The payload's bytes before the name. */
    static final int FIXED = 17;

    /** A RUN frame for the encoded {@code work}, its name cut to fit; no poll. */
    static Run of(long wire, long taskId, int attempt, String name, byte[] work) {
      return new Run(wire, taskId, attempt, false, Protocol.utf8Prefix(name, Protocol.MAX_NAME_BYTES), work, 0);
    }

    /** This frame with {@code poll} set as given (the same frame if it already is). */
    Run withPoll(boolean poll) {
      return poll == this.poll ? this : new Run(wire, taskId, attempt, poll, nameUtf8, bytes, workOffset);
    }

    /** The task's name as the engine sent it. */
    String name() {
      return new String(nameUtf8, StandardCharsets.UTF_8);
    }

    @Override
    public void write(DataOutputStream out) throws IOException {
      int workLength = bytes.length - workOffset;
      Protocol.writeHeader(out, RUN, wire, FIXED + nameUtf8.length + workLength);
      out.writeLong(taskId);
      out.writeInt(attempt);
      out.writeByte(poll ? 1 : 0);
      out.writeInt(nameUtf8.length);
      out.write(nameUtf8);
      out.write(bytes, workOffset, workLength);
    }

    @Override
    public int payloadLength() {
      return FIXED + nameUtf8.length + bytes.length - workOffset;
    }

    static Run decode(long wire, byte[] p) throws Protocol.ChannelFault {
      if (p.length < FIXED) {
        throw Protocol.truncated("RUN", p.length);
      }
      ByteBuffer b = ByteBuffer.wrap(p);
      long taskId = b.getLong();
      int attempt = b.getInt();
      int flags = b.get();
      if ((flags & ~1) != 0) {
        throw new Protocol.ChannelFault("RUN frame with unknown flags " + flags);
      }
      int nameLength = b.getInt();
      if (nameLength < 0 || nameLength > p.length - FIXED) {
        throw new Protocol.ChannelFault("RUN frame with a name of " + nameLength + " bytes in a payload of " + p.length);
      }
      return new Run(wire, taskId, attempt, flags == 1, Arrays.copyOfRange(p, FIXED, FIXED + nameLength), p, FIXED + nameLength);
    }
  }

  /** Cancel an attempt: set its cooperative flag, and interrupt its thread if {@code interrupt}. <pre>interrupt u8</pre> */
  record Cancel(long wire, boolean interrupt) implements WorkerBound {
    @Override
    public void write(DataOutputStream out) throws IOException {
      Protocol.writeHeader(out, CANCEL, wire, 1);
      out.writeByte(interrupt ? 1 : 0);
    }

    @Override
    public int payloadLength() {
      return 1;
    }
  }

  /** Finish the running tasks, then exit. No payload. */
  enum Shutdown implements WorkerBound {
    INSTANCE;

    @Override
    public void write(DataOutputStream out) throws IOException {
      Protocol.writeHeader(out, SHUTDOWN, 0, 0);
    }

    @Override
    public int payloadLength() {
      return 0;
    }
  }

  /** Give back a task held unstarted (the engine has an idle worker for it); answered by {@link EngineBound.Revoked}. */
  enum Revoke implements WorkerBound {
    INSTANCE;

    @Override
    public void write(DataOutputStream out) throws IOException {
      Protocol.writeHeader(out, REVOKE, 0, 0);
    }

    @Override
    public int payloadLength() {
      return 0;
    }
  }

  /**
   * The one answer to a {@link EngineBound.ChannelCall}: what happened to which case. The bytes are
   * the encoded element ({@link #RECEIVED}), the encoded cause ({@link #POISONED}), or a UTF-8
   * message ({@link #ERROR}); empty otherwise. {@link #NONE}: nothing was done (no case was ready
   * and the call could not wait, or it was withdrawn).
   *
   * <pre>call i64 | outcome u8 | index i32 | bytes</pre>
   */
  record ChannelReply(long wire, long call, byte outcome, int index, byte[] bytes, int offset) implements WorkerBound {
    static final byte NONE = 0;
    static final byte RECEIVED = 1;
    static final byte SENT = 2;
    static final byte ENDED = 3;
    static final byte SEND_REFUSED = 4;
    static final byte POISONED = 5;
    static final byte TRUE = 6;
    static final byte FALSE = 7;
    static final byte ERROR = 8;

    static ChannelReply of(long wire, long call, byte outcome, int index, byte[] bytes) {
      return new ChannelReply(wire, call, outcome, index, bytes, 0);
    }

    @Override
    public void write(DataOutputStream out) throws IOException {
      Protocol.writeHeader(out, CHANNEL_REPLY, wire, payloadLength());
      out.writeLong(call);
      out.writeByte(outcome);
      out.writeInt(index);
      out.write(bytes, offset, bytes.length - offset);
    }

    @Override
    public int payloadLength() {
      return 13 + bytes.length - offset;
    }

    static ChannelReply decode(long wire, byte[] p) throws Protocol.ChannelFault {
      if (p.length < 13) {
        throw Protocol.truncated("CHANNEL_REPLY", p.length);
      }
      ByteBuffer b = ByteBuffer.wrap(p);
      return new ChannelReply(wire, b.getLong(), b.get(), b.getInt(), p, 13);
    }
  }
}
