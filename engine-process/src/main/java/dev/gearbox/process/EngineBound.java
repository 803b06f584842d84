package dev.gearbox.process;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The frames a worker sends the engine, over the worker's private named pipe, one record per
 * kind, each with its payload's encoding and decoding (framing: {@link Protocol}). The engine
 * handles them through {@link Handler}, one method per kind.
 */
sealed interface EngineBound {
  byte HELLO = 10;
  byte STARTED = 11;
  byte OK = 12;
  byte FAIL = 13;
  byte PROGRESS = 14;
  byte REVOKED = 15;
  byte CHANNEL_CALL = 16;
  byte CHANNEL_WITHDRAW = 17;
  byte CHANNEL_ACK = 18;

  /** Writes the whole frame; the caller serializes writers and flushes. */
  void write(DataOutputStream out) throws IOException;

  /** What the engine does with each kind. Called on the worker's pipe-reader thread: must not report attempts there. */
  interface Handler {
    void hello(Hello hello);

    void started(Started started);

    void ok(Ok ok);

    void fail(Fail fail);

    void progress(Progress progress);

    void revoked(Revoked revoked);

    void channelCall(ChannelCall call);

    void channelWithdraw(ChannelWithdraw withdraw);

    void channelAck(ChannelAck ack);
  }

  /** Hands a frame to its handler method. */
  static void dispatch(EngineBound frame, Handler handler) {
    switch (frame) {
      case Hello h -> handler.hello(h);
      case Started s -> handler.started(s);
      case Ok o -> handler.ok(o);
      case Fail f -> handler.fail(f);
      case Progress p -> handler.progress(p);
      case Revoked r -> handler.revoked(r);
      case ChannelCall c -> handler.channelCall(c);
      case ChannelWithdraw w -> handler.channelWithdraw(w);
      case ChannelAck a -> handler.channelAck(a);
    }
  }

  /** Decodes a frame read by {@link Protocol#read}. */
  static EngineBound decode(Protocol.Raw raw) throws Protocol.ChannelFault {
    byte[] p = raw.payload();
    return switch (raw.kind()) {
      case HELLO -> {
        if (p.length < 8) {
          throw Protocol.truncated("HELLO", p.length);
        }
        yield new Hello(ByteBuffer.wrap(p).getLong());
      }
      case STARTED -> new Started(raw.wire());
      case OK, FAIL -> {
        if (p.length < 8) {
          throw Protocol.truncated(raw.kind() == OK ? "OK" : "FAIL", p.length);
        }
        long heap = ByteBuffer.wrap(p).getLong();
        yield raw.kind() == OK ? new Ok(raw.wire(), heap, p, 8) : new Fail(raw.wire(), heap, p, 8);
      }
      case PROGRESS -> {
        if (p.length < 8) {
          throw Protocol.truncated("PROGRESS", p.length);
        }
        yield new Progress(raw.wire(), ByteBuffer.wrap(p).getDouble(), new String(p, 8, p.length - 8, StandardCharsets.UTF_8));
      }
      case REVOKED -> new Revoked(raw.wire());
      case CHANNEL_CALL -> ChannelCall.decode(raw.wire(), p);
      case CHANNEL_WITHDRAW, CHANNEL_ACK -> {
        if (p.length < 8) {
          throw Protocol.truncated(raw.kind() == CHANNEL_ACK ? "CHANNEL_ACK" : "CHANNEL_WITHDRAW", p.length);
        }
        long call = ByteBuffer.wrap(p).getLong();
        yield raw.kind() == CHANNEL_ACK ? new ChannelAck(raw.wire(), call) : new ChannelWithdraw(raw.wire(), call);
      }
      default -> throw new Protocol.ChannelFault("unexpected frame kind " + raw.kind() + " from the worker");
    };
  }

  /** The worker is ready. <pre>pid i64</pre> */
  record Hello(long pid) implements EngineBound {
    @Override
    public void write(DataOutputStream out) throws IOException {
      Protocol.writeHeader(out, HELLO, 0, 8);
      out.writeLong(pid);
    }
  }

  /** The attempt started: it can no longer move to another worker. No payload. */
  record Started(long wire) implements EngineBound {
    @Override
    public void write(DataOutputStream out) throws IOException {
      Protocol.writeHeader(out, STARTED, wire, 0);
    }
  }

  /**
   * How an attempt ended, encoded by the codec from {@code offset} of {@code bytes}, after the
   * heap the worker had in use then (for memory-based recycling).
   *
   * <pre>heapInUse i64 | encoded result or failure</pre>
   */
  sealed interface Outcome extends EngineBound {
    long wire();

    long heapInUse();

    byte[] bytes();

    int offset();

    private static void write(DataOutputStream out, byte kind, Outcome o) throws IOException {
      Protocol.writeHeader(out, kind, o.wire(), 8 + o.bytes().length - o.offset());
      out.writeLong(o.heapInUse());
      out.write(o.bytes(), o.offset(), o.bytes().length - o.offset());
    }
  }

  /** The attempt's result. */
  record Ok(long wire, long heapInUse, byte[] bytes, int offset) implements Outcome {
    @Override
    public void write(DataOutputStream out) throws IOException {
      Outcome.write(out, OK, this);
    }
  }

  /** The attempt's own failure (the task threw), as the codec encodes failures. */
  record Fail(long wire, long heapInUse, byte[] bytes, int offset) implements Outcome {
    @Override
    public void write(DataOutputStream out) throws IOException {
      Outcome.write(out, FAIL, this);
    }
  }

  /**
   * A task's progress; the message is cut to {@link #MAX_MESSAGE_BYTES} of UTF-8 (progress is for
   * people, not a data channel). <pre>fraction f64 | message (UTF-8)</pre>
   */
  record Progress(long wire, double fraction, String message) implements EngineBound {
    static final int MAX_MESSAGE_BYTES = 4096;

    @Override
    public void write(DataOutputStream out) throws IOException {
      byte[] text = message == null ? new byte[0] : Protocol.utf8Prefix(message, MAX_MESSAGE_BYTES);
      Protocol.writeHeader(out, PROGRESS, wire, 8 + text.length);
      out.writeDouble(fraction);
      out.write(text);
    }
  }

  /** Answer to {@link WorkerBound.Revoke}: the attempt given back unstarted, or wire 0 when every held one had started. No payload. */
  record Revoked(long wire) implements EngineBound {
    @Override
    public void write(DataOutputStream out) throws IOException {
      Protocol.writeHeader(out, REVOKED, wire, 0);
    }
  }

  /**
   * A channel operation of the task {@code wire}, performed by the engine on the channels its JVM
   * owns, and answered by one {@link WorkerBound.ChannelReply} with the same {@code call} id: a
   * send or receive over one or more cases (a select), or a close, poison or closed-query of one
   * channel. A waiting call that the worker no longer wants (timeout, interrupt) is withdrawn with
   * {@link ChannelWithdraw}; it is still answered exactly once.
   *
   * <pre>call i64 | mayWait u8 | start i32 | cases i32 | per case: op u8 | id (i32 + UTF-8) | name (i32 + UTF-8) | argument (i32 + bytes)</pre>
   * The argument is the encoded element of a send, the encoded cause of a poison, else empty.
   */
  record ChannelCall(long wire, long call, boolean mayWait, int start, List<Case> cases) implements EngineBound {
    static final byte RECEIVE = 0;
    static final byte SEND = 1;
    static final byte CLOSE = 2;
    static final byte POISON = 3;
    static final byte IS_CLOSED = 4;

    /** One case: what to do ({@link #RECEIVE}...), on which channel, with what. */
    record Case(byte op, String channelId, String channelName, byte[] argument) {}

    /** The payload's length, to check against the frame limit before writing. */
    int payloadLength() {
      int n = 8 + 1 + 4 + 4;
      for (Case c : cases) {
        n += 1 + 4 + utf8(c.channelId).length + 4 + utf8(c.channelName).length + 4 + c.argument.length;
      }
      return n;
    }

    @Override
    public void write(DataOutputStream out) throws IOException {
      Protocol.writeHeader(out, CHANNEL_CALL, wire, payloadLength());
      out.writeLong(call);
      out.writeByte(mayWait ? 1 : 0);
      out.writeInt(start);
      out.writeInt(cases.size());
      for (Case c : cases) {
        out.writeByte(c.op);
        writeBytes(out, utf8(c.channelId));
        writeBytes(out, utf8(c.channelName));
        writeBytes(out, c.argument);
      }
    }

    private static byte[] utf8(String s) {
      return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
      out.writeInt(b.length);
      out.write(b);
    }

    static ChannelCall decode(long wire, byte[] p) throws Protocol.ChannelFault {
      try {
        ByteBuffer b = ByteBuffer.wrap(p);
        long call = b.getLong();
        boolean mayWait = b.get() != 0;
        int start = b.getInt();
        int count = b.getInt();
        // Every case takes at least 13 bytes: a count beyond what the payload can hold is a fault, not an allocation.
        if (count < 1 || count > b.remaining() / 13 || start < 0 || start >= count) {
          throw new Protocol.ChannelFault("CHANNEL_CALL frame with " + count + " case(s), starting at " + start
              + ", in a payload of " + p.length);
        }
        List<Case> cases = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          byte op = b.get();
          if (op < RECEIVE || op > IS_CLOSED || (count > 1 && op > SEND)) {
            throw new Protocol.ChannelFault("CHANNEL_CALL frame with operation " + op + " in a call of " + count + " case(s)");
          }
          cases.add(new Case(op, new String(bytes(b), StandardCharsets.UTF_8), new String(bytes(b), StandardCharsets.UTF_8), bytes(b)));
        }
        return new ChannelCall(wire, call, mayWait, start, cases);
      } catch (java.nio.BufferUnderflowException | NegativeArraySizeException | IndexOutOfBoundsException e) {
        throw Protocol.truncated("CHANNEL_CALL", p.length);
      }
    }

    private static byte[] bytes(ByteBuffer b) {
      int n = b.getInt();
      if (n > b.remaining()) {
        throw new java.nio.BufferUnderflowException();
      }
      byte[] out = new byte[n];
      b.get(out);
      return out;
    }
  }

  /** The worker no longer wants the waiting call {@code call} (timeout or interrupt). <pre>call i64</pre> */
  record ChannelWithdraw(long wire, long call) implements EngineBound {
    @Override
    public void write(DataOutputStream out) throws IOException {
      Protocol.writeHeader(out, CHANNEL_WITHDRAW, wire, 8);
      out.writeLong(call);
    }
  }

  /**
   * The task has the element that answered {@code call}: it is no longer in delivery. Written before
   * the receive returns to the task, so if the worker dies the engine reads it before it handles the
   * death. <pre>call i64</pre>
   */
  record ChannelAck(long wire, long call) implements EngineBound {
    @Override
    public void write(DataOutputStream out) throws IOException {
      Protocol.writeHeader(out, CHANNEL_ACK, wire, 8);
      out.writeLong(call);
    }
  }
}
