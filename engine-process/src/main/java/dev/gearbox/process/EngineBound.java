package dev.gearbox.process;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

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
}
