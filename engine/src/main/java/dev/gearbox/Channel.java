package dev.gearbox;

import static java.util.Objects.requireNonNull;

import dev.gearbox.spi.ChannelCase;
import dev.gearbox.spi.ChannelOutcome;
import dev.gearbox.spi.ChannelRoute;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A channel: threads and tasks hand elements to each other through it, in order, each element to
 * exactly one receiver. Go's channels and JCSP's, for Gearbox's tasks.
 *
 * <pre>{@code
 * Channel<Integer> squares = Channel.bounded("squares", 16);
 * engine.submit(() -> {                                 // a task on a thread, async or direct engine
 *   try {
 *     for (int i = 1; i <= 100; i++) squares.send(i * i);
 *   } finally {
 *     squares.close();
 *   }
 *   return null;
 * });
 * for (int s : squares) { ... }                         // ends once the producer has closed it
 * }</pre>
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Capacity.</b> A {@linkplain #rendezvous rendezvous} channel (capacity 0) buffers
 *       nothing: {@code send} returns only once a receiver has taken the element. A
 *       {@linkplain #bounded bounded} channel holds up to its capacity; {@code send} blocks while
 *       it is full.
 *   <li><b>Order and delivery.</b> Elements from one sender are received in the order it sent
 *       them. Every element sent is received exactly once, or dropped by {@link #poison} (never
 *       duplicated, never lost otherwise). Blocked senders are served in the order they blocked,
 *       and so are blocked receivers.
 *   <li><b>Close.</b> {@link #close()} refuses later sends ({@link ChannelClosedException} naming
 *       the channel). Receivers still get what was sent before: the buffered elements and those
 *       of senders that were already blocked in {@code send} when the channel closed (such a send
 *       completes normally when a receiver takes its element). Once all of that is received, a
 *       receive throws {@link ChannelClosedException}, and iteration ends. Idempotent.
 *   <li><b>Poison.</b> {@link #poison(Throwable)} fails every party with a
 *       {@link ChannelPoisonedException} whose cause is the given throwable: those blocked in
 *       {@code send}, {@code receive} or a {@link Select} on the channel now, and every later
 *       call, including {@code close}'s receivers. Buffered elements are dropped. The first
 *       poison wins; poisoning a closed channel is allowed (it fails the receivers that would
 *       otherwise drain it).
 *   <li><b>Nulls.</b> A channel does not carry {@code null}: sending it throws
 *       {@link NullPointerException} naming the channel. That is what lets {@link #tryReceive()}
 *       say "nothing now" with an empty {@link Optional}.
 *   <li><b>Interrupts.</b> Blocking calls throw {@link InterruptedException} if the thread is
 *       interrupted before they start or while they wait, and then nothing was sent or received.
 *       If the interrupt arrives after a counterpart has already completed the call, the call
 *       returns normally and the thread's interrupt status stays set. Iteration, which cannot
 *       throw a checked exception, throws {@link CancellationException} instead, keeping the
 *       interrupt status. Non-blocking calls ignore interrupts.
 * </ul>
 *
 * <p>Thread-safety: every method may be called from any thread, by any number of senders and
 * receivers. Memory effects: actions in a thread before it sends an element happen-before the
 * actions that follow the receive of that element in another thread; actions before
 * {@code close} or {@code poison} happen-before a party seeing the end or the poison.
 *
 * <h2>Where a channel lives</h2>
 *
 * <p>A {@code Channel} is a small handle (an id, a name, a capacity, and the identity of the JVM
 * that made it) on a buffer owned by that JVM. Tasks reach it on the backends that share memory
 * with the caller ({@code thread}, {@code async}, {@code direct}) and on {@code process}
 * ({@link BackendCapabilities#channels()}): a task sent to a worker process carries the handle,
 * which resolves there to a path back over the worker's pipe to the engine, which performs every
 * operation on the buffer. The contract above holds across that boundary, with these additions:
 * <ul>
 *   <li>Elements travel as serialized copies (as a task's captures do); an element a worker sends
 *       stays encoded in the channel and is decoded by its receiver, so a receiver that cannot
 *       decode it fails with an {@link IllegalStateException} saying why, and the element is lost.
 *   <li>An element a worker's task receives is <em>in delivery</em> until the worker acknowledges
 *       it, which it does before the receive returns. If the worker dies first, the element goes
 *       back to the head of the channel (the buffer may then briefly hold more than its capacity),
 *       so no element is lost or duplicated by a worker's death: each one was received by a task
 *       that saw it, is still in the channel, or its sender got an exception. A closed channel is
 *       not drained while an element is in delivery.
 *   <li>A send pending in a worker that dies is withdrawn: its element never entered the channel.
 *       If the engine had already taken it, it is in the channel or with a receiver.
 *   <li>A handle in a worker belongs to the task whose payload brought it: once that task ends,
 *       its operations fail with {@link IllegalStateException}, and its pending ones (from threads
 *       the task left behind) are withdrawn. Interrupting a task (its cancellation, its timeout)
 *       withdraws the operation it is blocked in.
 *   <li>A {@link Select} takes channels of one JVM: all made in the caller's JVM, or all reached
 *       through the same worker's route.
 *   <li>Capturing a channel in a task for {@code cluster} is refused at submit, naming the channel;
 *       so is sending a channel made inside a worker out of it.
 * </ul>
 *
 * @param <T> the element type
 */
public final class Channel<T> implements Iterable<T>, Serializable {
  private static final long serialVersionUID = 1L;

  private final String id;
  private final String name;
  private final int capacity;
  /** The identity of the JVM that owns the buffer ({@link ChannelHostImpl#home()}). */
  private final String home;
  /** The buffer, in the JVM that owns it; else null. */
  private final transient ChannelBuffer buffer;
  /** The way to the buffer from another JVM; null where the buffer is. */
  private final transient ChannelRoute route;

  private Channel(String name, int capacity) {
    this(UUID.randomUUID().toString(), name, capacity, ChannelHostImpl.INSTANCE.home(), new ChannelBuffer(name, capacity), null);
  }

  /** A handle as it resolves in this JVM: on the buffer here, or on a route to it. */
  Channel(String id, String name, int capacity, String home, ChannelBuffer buffer, ChannelRoute route) {
    this.id = id;
    this.name = name;
    this.capacity = capacity;
    this.home = home;
    this.buffer = buffer;
    this.route = route;
  }

  /**
   * A channel of capacity 0: each {@code send} waits until a receiver has taken its element.
   *
   * @param name names the channel in messages
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if {@code name} is blank
   */
  public static <T> Channel<T> rendezvous(String name) {
    return new Channel<>(checkName(name), 0);
  }

  /**
   * A channel that buffers up to {@code capacity} elements; {@code send} waits while it is full.
   *
   * @param name     names the channel in messages
   * @param capacity how many elements it holds, at least 1 (use {@link #rendezvous} for 0)
   * @throws NullPointerException if {@code name} is null
   * @throws IllegalArgumentException if {@code name} is blank or {@code capacity} is below 1
   */
  public static <T> Channel<T> bounded(String name, int capacity) {
    checkName(name);
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity of channel '" + name + "' must be at least 1, was " + capacity
          + "; use Channel.rendezvous(name) for a channel without a buffer");
    }
    return new Channel<>(name, capacity);
  }

  private static String checkName(String name) {
    requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("name of a channel must not be blank");
    }
    return name;
  }

  /** The name given at creation. */
  public String name() {
    return name;
  }

  /** How many elements the channel buffers: 0 for a rendezvous channel. */
  public int capacity() {
    return capacity;
  }

  /**
   * Sends {@code element}, waiting while the channel is full (on a rendezvous channel: until a
   * receiver takes it).
   *
   * @throws NullPointerException if {@code element} is null
   * @throws ChannelClosedException if the channel is closed
   * @throws ChannelPoisonedException if the channel is or becomes poisoned
   * @throws InterruptedException if interrupted before the element was sent
   */
  public void send(T element) throws InterruptedException {
    check(perform(sendOp(element), Selection.FOREVER));
  }

  /**
   * Sends {@code element}, waiting at most {@code timeout} for room (or for a receiver).
   *
   * @return true if sent, false if the timeout passed first (the element was then not sent)
   * @throws NullPointerException if an argument is null
   * @throws ChannelClosedException if the channel is closed
   * @throws ChannelPoisonedException if the channel is or becomes poisoned
   * @throws InterruptedException if interrupted before the element was sent
   */
  public boolean send(T element, Duration timeout) throws InterruptedException {
    ChannelOutcome o = perform(sendOp(element), nanos(timeout));
    if (o == null) {
      return false;
    }
    check(o);
    return true;
  }

  /**
   * Sends {@code element} if that is possible at once: there is room, or (rendezvous) a receiver
   * is waiting.
   *
   * @return true if sent
   * @throws NullPointerException if {@code element} is null
   * @throws ChannelClosedException if the channel is closed
   * @throws ChannelPoisonedException if the channel is poisoned
   */
  public boolean trySend(T element) {
    ChannelOutcome o = performNow(sendOp(element));
    if (o == null) {
      return false;
    }
    check(o);
    return true;
  }

  /**
   * Receives the next element, waiting for one.
   *
   * @throws ChannelClosedException if the channel is closed and everything sent was received
   * @throws ChannelPoisonedException if the channel is or becomes poisoned
   * @throws InterruptedException if interrupted before an element was received
   */
  public T receive() throws InterruptedException {
    return valueOf(perform(receiveOp(), Selection.FOREVER));
  }

  /**
   * Receives the next element, waiting at most {@code timeout}.
   *
   * @return the element, or empty if the timeout passed first
   * @throws NullPointerException if {@code timeout} is null
   * @throws ChannelClosedException if the channel is closed and everything sent was received
   * @throws ChannelPoisonedException if the channel is or becomes poisoned
   * @throws InterruptedException if interrupted before an element was received
   */
  public Optional<T> receive(Duration timeout) throws InterruptedException {
    ChannelOutcome o = perform(receiveOp(), nanos(timeout));
    return o == null ? Optional.empty() : Optional.of(valueOf(o));
  }

  /**
   * Receives an element if one can be had at once: buffered, or (rendezvous) offered by a
   * waiting sender.
   *
   * @return the element, or empty if none is available now
   * @throws ChannelClosedException if the channel is closed and everything sent was received
   * @throws ChannelPoisonedException if the channel is poisoned
   */
  public Optional<T> tryReceive() {
    ChannelOutcome o = performNow(receiveOp());
    return o == null ? Optional.empty() : Optional.of(valueOf(o));
  }

  /** Closes the channel; see the class contract. Idempotent. */
  public void close() {
    if (buffer != null) {
      buffer.close();
    } else {
      route.close(id, name);
    }
  }

  /**
   * Poisons the channel: every party now blocked on it, and every later call, fails with a
   * {@link ChannelPoisonedException} caused by {@code cause}; see the class contract.
   *
   * @throws NullPointerException if {@code cause} is null
   */
  public void poison(Throwable cause) {
    requireNonNull(cause, "cause");
    if (buffer != null) {
      buffer.poison(cause);
    } else {
      route.poison(id, name, cause);
    }
  }

  /**
   * Whether {@link #close} or {@link #poison} was called. A closed channel may still hold
   * elements to receive.
   */
  public boolean isClosed() {
    return buffer != null ? buffer.isClosed() : route.isClosed(id, name);
  }

  /**
   * The elements as they are received, ending when the channel is closed and drained. Several
   * iterators (and receivers) share the elements: each element goes to one of them.
   * {@code hasNext} blocks until an element arrives or the channel ends.
   *
   * @throws ChannelPoisonedException from {@code hasNext} or {@code next} if the channel is poisoned
   * @throws CancellationException from {@code hasNext} or {@code next} if the thread is interrupted
   *     while waiting (the interrupt status is kept)
   */
  @Override
  public Iterator<T> iterator() {
    return new Iterator<>() {
      private T next;
      private boolean ended;

      @Override
      public boolean hasNext() {
        if (next == null && !ended) {
          try {
            next = receive();
          } catch (ChannelClosedException e) {
            ended = true;
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            CancellationException c = new CancellationException("interrupted while receiving from channel '" + name + "'");
            c.initCause(e);
            throw c;
          }
        }
        return next != null;
      }

      @Override
      public T next() {
        if (!hasNext()) {
          throw new NoSuchElementException("channel '" + name + "' is closed and drained");
        }
        T t = next;
        next = null;
        return t;
      }
    };
  }

  /** The elements as a sequential stream over {@link #iterator()}, ending at close. */
  public Stream<T> stream() {
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(),
        Spliterator.ORDERED | Spliterator.NONNULL), false);
  }

  // What Select needs.

  /** The buffer, where this JVM owns it; else null. */
  ChannelBuffer buffer() {
    return buffer;
  }

  /** The route to the buffer, where another JVM owns it; else null. */
  ChannelRoute route() {
    return route;
  }

  /** This channel as a case of an operation that goes over its route. */
  ChannelCase remoteCase(boolean send, Object element) {
    return new ChannelCase(send, id, name, element);
  }

  /** One send (element non-null) or receive (element null). */
  private record Op(boolean send, Object element) {}

  private Op sendOp(T element) {
    return new Op(true, requireNonNull(element, () -> "element: channel '" + name + "' does not carry null"));
  }

  private Op receiveOp() {
    return new Op(false, null);
  }

  private ChannelOutcome perform(Op op, long nanos) throws InterruptedException {
    if (buffer != null) {
      return Selection.perform(new ChannelOp[] {new ChannelOp(buffer, 0, op.send, op.element)}, 0, nanos);
    }
    return route.select(new ChannelCase[] {remoteCase(op.send, op.element)}, 0, nanos);
  }

  private ChannelOutcome performNow(Op op) {
    try {
      return perform(op, Selection.NO_WAIT);
    } catch (InterruptedException e) {
      throw new AssertionError("an operation that does not wait cannot be interrupted", e);
    }
  }

  private void check(ChannelOutcome o) {
    if (o.kind() != ChannelOutcome.Kind.SENT && o.kind() != ChannelOutcome.Kind.RECEIVED) {
      throw o.failure(name);
    }
  }

  private T valueOf(ChannelOutcome o) {
    check(o);
    @SuppressWarnings("unchecked")
    T t = (T) ChannelHostImpl.open(o.value(), name);
    return t;
  }

  private static long nanos(Duration timeout) {
    requireNonNull(timeout, "timeout");
    return timeout.isNegative() || timeout.isZero() ? Selection.NO_WAIT : saturatedNanos(timeout);
  }

  static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /**
   * The handle on the wire: id, name, capacity, home. A channel of this JVM is written only while
   * a backend that carries channels encodes (see "Where a channel lives").
   */
  private Object writeReplace() throws ObjectStreamException {
    if (buffer != null) {
      ChannelHostImpl.INSTANCE.written(id, name, buffer);
    }
    return new Handle(id, name, capacity, home);
  }

  /** The serialized form of a channel. */
  private record Handle(String id, String name, int capacity, String home) implements Serializable {
    private Object readResolve() {
      return ChannelHostImpl.INSTANCE.resolve(id, name, capacity, home);
    }
  }

  @Override
  public String toString() {
    return "Channel[" + name + ", capacity " + capacity + "]";
  }
}
