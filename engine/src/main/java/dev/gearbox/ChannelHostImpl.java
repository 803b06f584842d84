package dev.gearbox;

import com.google.common.collect.MapMaker;
import dev.gearbox.spi.ChannelCase;
import dev.gearbox.spi.ChannelHost;
import dev.gearbox.spi.ChannelOutcome;
import dev.gearbox.spi.ChannelRoute;
import java.io.IOException;
import java.io.InvalidClassException;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Consumer;

/**
 * This JVM's {@link ChannelHost}: the registry that resolves channel handles by id, the rules for
 * writing a handle, and the start of operations for tasks in other JVMs.
 *
 * <p>The registry holds buffers weakly: a channel lives while something in this JVM holds it (the
 * application, a task that captured it, which its job keeps until it ends) or while a backend
 * {@linkplain #pin pins} it for a task elsewhere that may still use it.
 */
final class ChannelHostImpl extends ChannelHost {
  static final ChannelHostImpl INSTANCE = new ChannelHostImpl();

  static {
    install(INSTANCE);
  }

  private final String home = UUID.randomUUID().toString();
  private final ConcurrentMap<String, ChannelBuffer> registry = new MapMaker().weakValues().makeMap();
  /** Set while a backend that carries channels encodes, in its thread: receives the buffers written. */
  private final ThreadLocal<Consumer<Object>> carrying = new ThreadLocal<>();

  private ChannelHostImpl() {}

  @Override
  public String home() {
    return home;
  }

  @Override
  public <T> T carrying(Callable<T> encode, Consumer<Object> pins) throws IOException {
    Consumer<Object> outer = carrying.get();
    carrying.set(pins);
    try {
      return encode.call();
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e);
    } finally {
      if (outer == null) {
        carrying.remove();
      } else {
        carrying.set(outer);
      }
    }
  }

  /** A channel of this JVM is being written: allowed only while a backend that carries channels encodes. */
  void written(String id, String name, ChannelBuffer buffer) throws InvalidClassException {
    Consumer<Object> pins = carrying.get();
    if (pins == null) {
      throw new InvalidClassException(Channel.class.getName(), "channel '" + name + "' (id " + id + ") was made in this JVM"
          + " and reaches another process only with a task of a backend that routes it back here (process, cluster); a"
          + " channel made inside a worker or on a cluster member stays there");
    }
    registry.putIfAbsent(id, buffer);
    pins.accept(buffer);
  }

  /** The handle a decoded {@code Channel} becomes in this JVM. */
  Channel<?> resolve(String id, String name, int capacity, String owner) {
    if (home.equals(owner)) {
      ChannelBuffer b = registry.get(id);
      return b != null ? new Channel<>(id, name, capacity, owner, b, null)
          : new Channel<>(id, name, capacity, owner, null, unreachable("channel '" + name + "' (id " + id
              + ") no longer exists in the JVM that made it"));
    }
    ChannelRoute route = ChannelHost.currentRoute();
    return new Channel<>(id, name, capacity, owner, null, route != null ? route : unreachable("channel '" + name
        + "' belongs to another JVM, and this one has no way back to it: channels reach the tasks of an engine (through"
        + " a worker's pipe, or a cluster member), not other JVMs"));
  }

  @Override
  public Object pin(String channelId, String channelName) {
    return buffer(channelId, channelName);
  }

  private ChannelBuffer buffer(String id, String name) {
    ChannelBuffer b = registry.get(id);
    if (b == null) {
      throw new IllegalArgumentException("channel '" + name + "' (id " + id + ") is unknown in the engine's JVM"
          + " (made in another JVM, or no longer held by anything)");
    }
    return b;
  }

  @Override
  public Call start(ChannelCase[] cases, int start, boolean mayWait, Listener listener) {
    ChannelOp[] ops = new ChannelOp[cases.length];
    for (int i = 0; i < cases.length; i++) {
      ChannelCase c = cases[i];
      ops[i] = new ChannelOp(buffer(c.channelId(), c.channelName()), i, c.send(), c.element(), !c.send());
    }
    Selection waiting = Selection.start(ops, start, mayWait, listener);
    return waiting == null ? () -> false : waiting::withdrawRemote;
  }

  @Override
  public boolean control(String channelId, String channelName, Control what, Throwable cause) {
    ChannelBuffer b = buffer(channelId, channelName);
    switch (what) {
      case CLOSE -> b.close();
      case POISON -> b.poison(java.util.Objects.requireNonNull(cause, "cause"));
      case IS_CLOSED -> {
        return b.isClosed();
      }
    }
    return true;
  }

  /**
   * A received value as its receiver in this JVM sees it: an element sent from a worker is decoded
   * here, in the receiver's thread.
   *
   * @throws IllegalStateException if it cannot be decoded here (the element is then lost, and the
   *     message says why)
   */
  static Object open(Object value, String channel) {
    if (!(value instanceof Encoded e)) {
      return value;
    }
    try {
      return e.codec().decode(e.bytes(), e.offset());
    } catch (IOException | ClassNotFoundException | RuntimeException x) {
      throw new IllegalStateException("an element of channel '" + channel + "', sent from a worker, cannot be decoded"
          + " in this JVM: " + x, x);
    }
  }

  /** A route for a handle that cannot reach its channel: every operation fails saying why. */
  static ChannelRoute unreachable(String why) {
    return new ChannelRoute() {
      @Override
      public ChannelOutcome select(ChannelCase[] cases, int start, long timeoutNanos) {
        throw new IllegalStateException(why);
      }

      @Override
      public void close(String channelId, String channelName) {
        throw new IllegalStateException(why);
      }

      @Override
      public void poison(String channelId, String channelName, Throwable cause) {
        throw new IllegalStateException(why);
      }

      @Override
      public boolean isClosed(String channelId, String channelName) {
        throw new IllegalStateException(why);
      }
    };
  }
}
