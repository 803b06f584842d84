package dev.gearbox.process;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The wire protocol between the engine and a worker JVM: framing, limits and faults. Every
 * message is one frame:
 *
 * <pre>
 * magic   u16  0x4742 ("GB")
 * version u8   1
 * kind    u8   the frame kind (a constant of {@link WorkerBound} or {@link EngineBound})
 * wire    i64  the attempt's wire id (one per attempt; 0 when the frame concerns no attempt)
 * length  i32  payload length
 * payload      length bytes, laid out by the frame kind's type
 * </pre>
 *
 * Engine to worker, over the worker's stdin: the {@link WorkerBound} kinds. Worker to engine, over a
 * named pipe of the worker's own, so that nothing a task prints can reach it: the
 * {@link EngineBound} kinds. Each kind is one record with its own encoding and decoding; each side
 * handles the kinds it receives through one handler method per kind, so adding a kind is one
 * record and one method per handler, and the compiler lists every place that must handle it.
 *
 * <p>Anything that does not parse is a {@link ChannelFault}: the receiving side treats the channel
 * as broken (the engine kills the worker; the worker exits), and a bad frame never leaves a
 * reader waiting for bytes that will not come.
 */
final class Protocol {
  static final int MAGIC = 0x4742;
  static final int VERSION = 2;
  static final int HEADER_BYTES = 16;
  /**
   * What a frame may carry beyond the codec's payload: the fields of its kind (a RUN frame's task
   * name is cut to fit). One limit, computed here, for both sides.
   */
  static final int MAX_OVERHEAD = 64 * 1024;
  /** The longest task name a RUN frame carries, in bytes of UTF-8; longer ones are cut. */
  static final int MAX_NAME_BYTES = 16 * 1024;

  private Protocol() {}

  /** The largest frame payload either side accepts when the codec's limit is {@code maxPayload}. */
  static int maxFrame(int maxPayload) {
    return (int) Math.min(Integer.MAX_VALUE - 8L, (long) maxPayload + MAX_OVERHEAD);
  }

  /** The channel carried something that is not a frame of this protocol. */
  static final class ChannelFault extends IOException {
    private static final long serialVersionUID = 1L;

    ChannelFault(String message) {
      super(message);
    }
  }

  /** A frame as read, before its kind decodes the payload. */
  record Raw(byte kind, long wire, byte[] payload) {}

  /** Writes a frame header; the caller writes exactly {@code length} payload bytes after it and flushes. */
  static void writeHeader(DataOutputStream out, byte kind, long wire, int length) throws IOException {
    out.writeShort(MAGIC);
    out.writeByte(VERSION);
    out.writeByte(kind);
    out.writeLong(wire);
    out.writeInt(length);
  }

  /**
   * Whether a whole frame can be read from {@code in} now without blocking: its header and the
   * payload it announces are buffered or waiting in the pipe. False when unsure ({@code in} cannot
   * mark). Reads nothing: the stream is reset to where it was.
   */
  static boolean frameReady(DataInputStream in) throws IOException {
    int available = in.available();
    if (available < HEADER_BYTES || !in.markSupported()) {
      return false;
    }
    in.mark(HEADER_BYTES);
    try {
      in.skipNBytes(HEADER_BYTES - Integer.BYTES);
      return available - HEADER_BYTES >= in.readInt();
    } finally {
      in.reset();
    }
  }

  /**
   * Reads one frame.
   *
   * @return the frame, or null at a clean end of stream (between frames)
   * @throws ChannelFault if the bytes are not a frame, or the payload exceeds {@code maxFrame}
   */
  static Raw read(DataInputStream in, int maxFrame) throws IOException {
    int b0 = in.read();
    if (b0 < 0) {
      return null;
    }
    int b1 = in.read();
    if (b1 < 0) {
      throw new ChannelFault("the channel ended inside a frame header");
    }
    int magic = (b0 << 8) | b1;
    if (magic != MAGIC) {
      throw new ChannelFault(String.format("stray bytes on the data channel: expected frame magic 0x%04x, got 0x%04x", MAGIC, magic));
    }
    try {
      int version = in.readUnsignedByte();
      if (version != VERSION) {
        throw new ChannelFault("protocol version " + version + " from the other side; this side speaks " + VERSION
            + " (are the engine and worker classpaths from different Gearbox versions?)");
      }
      byte kind = in.readByte();
      long wire = in.readLong();
      int length = in.readInt();
      if (length < 0 || length > maxFrame) {
        throw new ChannelFault("frame of " + length + " bytes exceeds the limit of " + maxFrame
            + " bytes that gearbox.process.max-payload sets");
      }
      byte[] payload = new byte[length];
      in.readFully(payload);
      return new Raw(kind, wire, payload);
    } catch (EOFException e) {
      throw new ChannelFault("the channel ended inside a frame");
    }
  }

  /** The longest prefix of {@code s} whose UTF-8 encoding fits {@code maxBytes}, never splitting a character. */
  static byte[] utf8Prefix(String s, int maxBytes) {
    byte[] all = s.getBytes(StandardCharsets.UTF_8);
    if (all.length <= maxBytes) {
      return all;
    }
    int end = maxBytes;
    while (end > 0 && (all[end] & 0xC0) == 0x80) {
      end--; // all[end] continues a character that starts before the cut: cut before that character
    }
    return Arrays.copyOf(all, end);
  }

  /** A payload shorter than its kind's fields. */
  static ChannelFault truncated(String kind, int length) {
    return new ChannelFault(kind + " frame of " + length + " bytes is too short for its fields");
  }
}
