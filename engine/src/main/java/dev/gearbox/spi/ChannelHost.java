package dev.gearbox.spi;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Channels for backends whose tasks run in other JVMs: the engine side (operations performed on
 * this JVM's channels for a task elsewhere, which never block the calling thread) and the worker
 * side (which {@link ChannelRoute} a decoded handle takes). Not application API: this JVM's
 * instance is {@link #local()}, made by the engine module; a backend that runs a task here for an
 * engine in another JVM may give its attempt a host that forwards there
 * ({@link Attempt#channelHost()}).
 *
 * <h2>Handles on the wire</h2>
 * A {@link dev.gearbox.Channel} serializes as a small handle: its id, name, capacity and the
 * identity of the JVM that owns its buffer ({@link #home()}). Decoded in that JVM, it resolves to
 * the buffer; decoded anywhere else, to the route that {@link #routeHandles} supplies at that
 * moment. A channel owned by this JVM is written only inside {@link #carrying} (the backend that
 * can carry it says so while it encodes); elsewhere writing one fails with an
 * {@link java.io.InvalidClassException} naming the channel, so a backend that cannot carry channels
 * rejects a task that captures one at submit.
 *
 * <h2>Deliveries</h2>
 * An element received for a task elsewhere is <em>in delivery</em> until the backend says the
 * task has it ({@link Delivery#acknowledged}) or that it never will ({@link Delivery#returned}: it
 * goes back to the head of its channel). While an element of a closed channel is in delivery, the
 * channel is not drained: its receivers wait for the outcome instead of seeing the end.
 */
public abstract class ChannelHost {
  private static volatile ChannelHost local;
  private static volatile Supplier<ChannelRoute> routes;

  /** For the engine module's implementation, and backends' forwarding hosts. */
  protected ChannelHost() {}

  /** Called once by the engine module's implementation as its class initializes. */
  protected static void install(ChannelHost host) {
    local = host;
  }

  /** This JVM's channel host. */
  public static ChannelHost local() {
    ChannelHost h = local;
    if (h == null) {
      try {
        Class.forName("dev.gearbox.ChannelHostImpl", true, ChannelHost.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException("the engine module's channel host is missing", e);
      }
      h = local;
    }
    return h;
  }

  /**
   * Worker side: from now on, a channel handle decoded in this JVM that another JVM owns takes the
   * route {@code routes} supplies at that moment (the route of the task being decoded); null from
   * the supplier leaves the handle without a route (its operations fail saying so).
   */
  public static void routeHandles(Supplier<ChannelRoute> routes) {
    ChannelHost.routes = routes;
  }

  /** The route for a foreign handle decoded now, or null. */
  public static ChannelRoute currentRoute() {
    Supplier<ChannelRoute> r = routes;
    return r == null ? null : r.get();
  }

  /** The identity of this JVM in channel handles. */
  public abstract String home();

  /**
   * Runs {@code encode} in this thread with channels of this JVM allowed in what it writes; each
   * such channel's buffer is passed to {@code pins} (hold it to keep the channel alive while the
   * other side may use it; the registry behind handles holds channels weakly).
   */
  public abstract <T> T carrying(Callable<T> encode, Consumer<Object> pins) throws IOException;

  /**
   * Holds a channel of this JVM alive: returns an object that keeps it reachable, or throws.
   *
   * @throws IllegalArgumentException if no channel of this JVM has that id (never sent, or gone)
   */
  public abstract Object pin(String channelId, String channelName);

  /**
   * Starts an operation for a task in another JVM; never blocks. Every case's channel must be of
   * this JVM. Receives are acknowledged: a received element comes with its {@link Delivery}.
   *
   * @param mayWait if false, the listener hears null at once when no case is ready
   * @param listener hears the outcome exactly once unless {@link Call#withdraw} returns true; it may
   *     hear it inside this call, and otherwise on the thread of the counterpart that completed the
   *     operation, after that thread released every channel lock; it must not block for long
   * @throws IllegalArgumentException if a case names a channel this JVM does not know
   */
  public abstract Call start(ChannelCase[] cases, int start, boolean mayWait, Listener listener);

  /**
   * {@link dev.gearbox.Channel#close()}, {@code poison} ({@code cause} non-null) or
   * {@code isClosed} of this JVM's channel {@code channelId}.
   *
   * @throws IllegalArgumentException if this JVM does not know the channel
   */
  public abstract boolean control(String channelId, String channelName, Control what, Throwable cause);

  /** What {@link #control} does. */
  public enum Control { CLOSE, POISON, IS_CLOSED }

  /** Hears how an operation started by {@link #start} ended. */
  @FunctionalInterface
  public interface Listener {
    /**
     * @param outcome  how a case ended, or null (nothing was ready and the operation could not wait)
     * @param delivery for a received element, its delivery; else null
     */
    void completed(ChannelOutcome outcome, Delivery delivery);

    /**
     * The operation failed without an outcome (a host that forwards it elsewhere was refused, or
     * lost its way there): the caller's operation fails with {@code message}. Called instead of
     * {@link #completed}, at most once; by default, as if nothing was ready.
     */
    default void failed(String message) {
      completed(null, null);
    }
  }

  /** A waiting operation started by {@link #start}. */
  public interface Call {
    /**
     * Withdraws the operation (timeout, interrupt, its task ended, its worker died).
     *
     * @return true if withdrawn: nothing was sent or received and the listener will not be
     *     called; false if a counterpart completed it first, whose outcome the listener gets
     */
    boolean withdraw();
  }

  /** An element received for a task in another JVM, on its way there. */
  public interface Delivery {
    /** The task has the element. */
    void acknowledged();

    /** The element will never reach the task (its worker died): it goes back to the head of its channel. */
    void returned();
  }

  /**
   * An element as bytes, sent from another JVM: kept encoded in the channel, passed on as it is to
   * a receiver elsewhere, and decoded (with {@code codec}) by a receiver in this JVM.
   */
  public record Encoded(byte[] bytes, int offset, Codec codec) {}
}
