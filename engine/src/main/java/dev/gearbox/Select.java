package dev.gearbox;

import static java.util.Objects.requireNonNull;

import dev.gearbox.spi.ChannelCase;
import dev.gearbox.spi.ChannelOutcome;
import dev.gearbox.spi.ChannelRoute;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Waits on several channel operations at once and performs exactly one of them: Go's
 * {@code select}, JCSP's {@code Alternative}.
 *
 * <pre>{@code
 * String what = Select.<String>create()
 *     .onReceive(orders, o -> "order " + o)
 *     .onReceive(cancels, c -> "cancel " + c, () -> "cancels closed")
 *     .onSend(audit, entry, () -> "audited").when(auditEnabled)
 *     .onTimeout(Duration.ofSeconds(1), () -> "idle")
 *     .select();
 * }</pre>
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>One case.</b> {@link #select()} performs exactly one enabled case (a receive or a
 *       send), or runs the timeout or default handler; no other case sends or receives anything,
 *       however the channels race. It then runs that case's handler in the calling thread, after
 *       every channel lock is released, and returns what the handler returns.
 *   <li><b>Fairness.</b> When several cases are ready, each is equally likely to be chosen (the
 *       cases are tried from a random one), so no ready case starves.
 *   <li><b>Guards.</b> {@link #when(boolean)} enables or disables the case added just before it;
 *       a disabled case is ignored as if it were absent (occam's {@code condition & input}).
 *   <li><b>Waiting.</b> Without a default or a timeout, {@code select} waits until a case can be
 *       performed. With {@link #onTimeout}, it waits at most that long and then runs the timeout
 *       handler; with {@link #onDefault}, it does not wait and runs the default handler if no case
 *       is ready. A select cannot have both.
 *   <li><b>Closed and poisoned channels.</b> A receive case on a closed, drained channel is ready:
 *       it runs its {@code onClosed} handler, or, if it has none, {@code select} throws
 *       {@link ChannelClosedException}. A send case on a closed channel is ready too, and
 *       {@code select} throws {@link ChannelClosedException}. A case on a poisoned channel makes
 *       {@code select} throw {@link ChannelPoisonedException}. Disable such cases with a guard to
 *       keep selecting over the others.
 *   <li><b>Interrupts.</b> As for {@link Channel}'s blocking calls: {@link InterruptedException}
 *       when interrupted before a case was performed, and then none was.
 *   <li><b>Across processes.</b> In a task on a worker process, a select performs in the engine's
 *       JVM, with the same rules. Its channels must then all come from that engine's JVM (the
 *       handles the task was given); a select mixing them with channels made elsewhere throws
 *       {@link IllegalArgumentException}.
 * </ul>
 *
 * <p>Thread-safety: a {@code Select} is built and used by one thread. It may be used again: each
 * {@code select()} waits afresh on the same cases (with the same send elements and guards).
 * Memory effects are those of the operation performed (see {@link Channel}).
 *
 * @param <R> what the handlers return
 */
public final class Select<R> {

  /** One case: a receive or a send on a channel, with its handlers and guard. */
  private static final class Case<R> {
    final Channel<?> channel;
    final boolean send;
    final Object element;
    final Function<Object, ? extends R> onValue;
    final Supplier<? extends R> onClosed;
    final Supplier<? extends R> onSent;
    boolean enabled = true;

    Case(Channel<?> channel, boolean send, Object element, Function<Object, ? extends R> onValue,
        Supplier<? extends R> onClosed, Supplier<? extends R> onSent) {
      this.channel = channel;
      this.send = send;
      this.element = element;
      this.onValue = onValue;
      this.onClosed = onClosed;
      this.onSent = onSent;
    }
  }

  private final List<Case<R>> cases = new ArrayList<>();
  private Duration timeout;
  private Supplier<? extends R> onTimeout;
  private Supplier<? extends R> onDefault;
  /** What the last {@link #when} applies to: a case, or the timeout or default handler. */
  private Object last;
  private boolean timeoutEnabled = true;
  private boolean defaultEnabled = true;

  private Select() {}

  /** A select with no cases yet. */
  public static <R> Select<R> create() {
    return new Select<>();
  }

  /**
   * Adds a case that receives from {@code channel} and passes the element to {@code onValue}. If
   * the channel is closed and drained when this case is chosen, {@link #select()} throws
   * {@link ChannelClosedException}.
   *
   * @throws NullPointerException if an argument is null
   */
  public <T> Select<R> onReceive(Channel<T> channel, Function<? super T, ? extends R> onValue) {
    return addReceive(channel, onValue, null);
  }

  /**
   * Adds a case that receives from {@code channel} and passes the element to {@code onValue}, or
   * runs {@code onClosed} if the channel is closed and drained.
   *
   * @throws NullPointerException if an argument is null
   */
  public <T> Select<R> onReceive(Channel<T> channel, Function<? super T, ? extends R> onValue,
      Supplier<? extends R> onClosed) {
    return addReceive(channel, onValue, requireNonNull(onClosed, "onClosed"));
  }

  private <T> Select<R> addReceive(Channel<T> channel, Function<? super T, ? extends R> onValue,
      Supplier<? extends R> onClosed) {
    requireNonNull(channel, "channel");
    requireNonNull(onValue, "onValue");
    @SuppressWarnings("unchecked")
    Function<Object, ? extends R> f = (Function<Object, ? extends R>) onValue;
    return add(new Case<R>(channel, false, null, f, onClosed, null));
  }

  /**
   * Adds a case that sends {@code element} to {@code channel} and then runs {@code onSent}. If
   * the channel is closed when this case is chosen, {@link #select()} throws
   * {@link ChannelClosedException}.
   *
   * @throws NullPointerException if an argument is null (a channel does not carry null)
   */
  public <T> Select<R> onSend(Channel<T> channel, T element, Supplier<? extends R> onSent) {
    requireNonNull(channel, "channel");
    requireNonNull(element, () -> "element: channel '" + channel.name() + "' does not carry null");
    requireNonNull(onSent, "onSent");
    return add(new Case<R>(channel, true, element, null, null, onSent));
  }

  private Select<R> add(Case<R> c) {
    cases.add(c);
    last = c;
    return this;
  }

  /**
   * Waits at most {@code timeout} for a case, then runs {@code onTimeout}.
   *
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if {@code timeout} is negative
   * @throws IllegalStateException if this select already has a timeout or a default
   */
  public Select<R> onTimeout(Duration timeout, Supplier<? extends R> onTimeout) {
    requireNonNull(timeout, "timeout");
    requireNonNull(onTimeout, "onTimeout");
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("timeout of a select must not be negative, was " + timeout);
    }
    if (this.onTimeout != null || onDefault != null) {
      throw new IllegalStateException("a select takes one timeout or one default, not both or two of either");
    }
    this.timeout = timeout;
    this.onTimeout = onTimeout;
    last = this.onTimeout;
    return this;
  }

  /**
   * Runs {@code onNothingReady} at once if no enabled case is ready, instead of waiting.
   *
   * @throws NullPointerException if the argument is null
   * @throws IllegalStateException if this select already has a timeout or a default
   */
  public Select<R> onDefault(Supplier<? extends R> onNothingReady) {
    requireNonNull(onNothingReady, "onNothingReady");
    if (onTimeout != null || onDefault != null) {
      throw new IllegalStateException("a select takes one timeout or one default, not both or two of either");
    }
    onDefault = onNothingReady;
    last = onDefault;
    return this;
  }

  /**
   * Guards the case (or timeout, or default) added just before: it takes part only if
   * {@code enabled} is true.
   *
   * @throws IllegalStateException if nothing was added yet
   */
  public Select<R> when(boolean enabled) {
    if (last == null) {
      throw new IllegalStateException("when(...) guards the case added just before it; add a case first");
    } else if (last instanceof Case<?> c) {
      c.enabled = enabled;
    } else if (last == onTimeout) {
      timeoutEnabled = enabled;
    } else {
      defaultEnabled = enabled;
    }
    return this;
  }

  /**
   * Performs one enabled case, or the timeout or default, and returns what its handler returns;
   * see the class contract.
   *
   * @throws IllegalStateException if no case, timeout or default is enabled (it would wait for ever)
   * @throws ChannelClosedException if the chosen case's channel is closed and the case has no
   *     {@code onClosed} handler (a receive), or is a send
   * @throws ChannelPoisonedException if the chosen case's channel is poisoned
   * @throws InterruptedException if interrupted before a case was performed
   */
  public R select() throws InterruptedException {
    List<Case<R>> enabled = cases.stream().filter(c -> c.enabled).toList();
    boolean withTimeout = onTimeout != null && timeoutEnabled;
    boolean withDefault = onDefault != null && defaultEnabled;
    if (enabled.isEmpty() && !withTimeout && !withDefault) {
      throw new IllegalStateException("select has no enabled case, timeout or default: it would wait for ever"
          + " (" + cases.size() + " case(s), all guarded off)");
    }
    long nanos = withDefault ? Selection.NO_WAIT : withTimeout ? Channel.saturatedNanos(timeout) : Selection.FOREVER;
    int n = enabled.size();
    int start = n > 1 ? ThreadLocalRandom.current().nextInt(n) : 0;
    ChannelOutcome o = n == 0 && nanos == Selection.NO_WAIT ? null : perform(enabled, start, nanos);
    if (o == null) {
      return withDefault ? onDefault.get() : onTimeout.get();
    }
    Case<R> c = enabled.get(o.index());
    return switch (o.kind()) {
      case RECEIVED -> c.onValue.apply(ChannelHostImpl.open(o.value(), c.channel.name()));
      case SENT -> c.onSent.get();
      case ENDED -> {
        if (c.onClosed == null) {
          throw o.failure(c.channel.name());
        }
        yield c.onClosed.get();
      }
      case SEND_REFUSED, POISONED -> throw o.failure(c.channel.name());
    };
  }

  /** Performs the enabled cases here, or over their route when another JVM owns their channels. */
  private static <R> ChannelOutcome perform(List<Case<R>> enabled, int start, long nanos) throws InterruptedException {
    ChannelRoute route = enabled.isEmpty() ? null : enabled.get(0).channel.route();
    for (Case<R> c : enabled) {
      if (c.channel.route() != route) {
        throw new IllegalArgumentException("a select takes channels of one JVM: channel '" + c.channel.name() + "' and channel '"
            + enabled.get(0).channel.name() + "' are reached by different ways (one made here, or given to another task)");
      }
    }
    if (route != null) {
      ChannelCase[] cases = new ChannelCase[enabled.size()];
      for (int i = 0; i < cases.length; i++) {
        Case<R> c = enabled.get(i);
        cases[i] = c.channel.remoteCase(c.send, c.element);
      }
      return route.select(cases, start, nanos);
    }
    ChannelOp[] ops = new ChannelOp[enabled.size()];
    for (int i = 0; i < ops.length; i++) {
      Case<R> c = enabled.get(i);
      ops[i] = new ChannelOp(c.channel.buffer(), i, c.send, c.element);
    }
    return Selection.perform(ops, start, nanos);
  }
}
