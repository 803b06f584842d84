package dev.gearbox.process;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;

/**
 * The wire protocol between the engine and a worker. Every message is one frame:
 *
 * <pre>
 * magic   u16  0x4742 ("GB")
 * version u8   1
 * type    u8   see the constants
 * task    i64  task id (0 when none)
 * length  i32  payload length
 * payload      length bytes
 * </pre>
 *
 * Engine to worker (worker's stdin): RUN, CANCEL, SHUTDOWN, REVOKE. Worker to engine (a named pipe of its
 * own, so nothing a task prints can reach it): HELLO, STARTED, OK, FAIL, PROGRESS, REVOKED. Anything that
 * does not parse is a {@link ChannelFault}: the worker is retired and its tasks fail with a
 * message saying so; a bad frame never leaves the reader waiting for bytes that will not come.
 */
final class Frames {
  static final int MAGIC = 0x4742;
  static final int VERSION = 1;
  static final int HEADER_BYTES = 16;

  static final byte RUN = 1;
  static final byte CANCEL = 2;
  static final byte SHUTDOWN = 3;
  /** Give back a task that has not started (the engine has an idle worker for it). */
  static final byte REVOKE = 4;
  static final byte HELLO = 10;
  static final byte STARTED = 11;
  static final byte OK = 12;
  static final byte FAIL = 13;
  static final byte PROGRESS = 14;
  /** The task named was given back unstarted (answer to REVOKE; a task that started sends nothing). */
  static final byte REVOKED = 15;

  private Frames() {}

  record Frame(byte type, long taskId, byte[] payload) {}

  /** The channel carried something that is not a frame of this protocol. */
  static final class ChannelFault extends IOException {
    private static final long serialVersionUID = 1L;

    ChannelFault(String message) {
      super(message);
    }
  }

  /** Writes one frame; the caller serializes writers and flushes. */
  static void write(DataOutputStream out, byte type, long taskId, byte[] payload) throws IOException {
    out.writeShort(MAGIC);
    out.writeByte(VERSION);
    out.writeByte(type);
    out.writeLong(taskId);
    out.writeInt(payload.length);
    out.write(payload);
  }

  /**
   * Reads one frame.
   *
   * @return the frame, or null at a clean end of stream (between frames)
   * @throws ChannelFault if the bytes are not a frame, or the payload exceeds {@code maxPayload}
   */
  static Frame read(DataInputStream in, int maxPayload) throws IOException {
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
      byte type = in.readByte();
      long taskId = in.readLong();
      int length = in.readInt();
      if (length < 0 || length > maxPayload) {
        throw new ChannelFault("frame of " + length + " bytes exceeds gearbox.process.max-payload (" + maxPayload + ")");
      }
      byte[] payload = new byte[length];
      in.readFully(payload);
      return new Frame(type, taskId, payload);
    } catch (EOFException e) {
      throw new ChannelFault("the channel ended inside a frame");
    }
  }
}
