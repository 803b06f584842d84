package dev.gearbox.cluster;

import com.hazelcast.client.Client;
import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import dev.gearbox.spi.ChannelCase;
import dev.gearbox.spi.ChannelHost;
import dev.gearbox.spi.ChannelOutcome;
import dev.gearbox.spi.ChannelRoute;
import dev.gearbox.spi.remote.SerialCodec;
import java.io.IOException;
import java.io.NotSerializableException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The member's side of channels: a channel handle in a task's payload that another JVM owns
 * resolves to that task's {@link TaskRoute}, which performs each operation as a {@link ChannelCall}
 * published on the engine's channel topic and waits for the engine's {@link ChannelReply}, which
 * arrives on the member's {@code gearbox-control} executor. (A handle of a channel this JVM owns, on
 * the engine's own member, resolves to the channel itself.)
 *
 * <p>The waiting thread keeps the channel contract as a process worker does: a timeout or an
 * interrupt publishes a {@link ChannelCall#WITHDRAW} and waits for the one reply, which says whether
 * the withdrawal won (nothing happened) or what a counterpart did first. A received element is
 * decoded, then acknowledged, and the receive returns only once the engine confirmed the
 * acknowledgement ({@link ChannelReply#ACKED}): until then the engine keeps the element in delivery
 * and gives it back to the head of its channel if this member leaves the cluster. So an element is
 * never lost or duplicated by a member's death: the task either had it (the engine knows) or never
 * did.
 *
 * <p>A task has at most {@link ClusterChannels#MAX_OPEN_PER_TASK} calls open at once (its threads
 * wait for a permit). Once the task ends, its route refuses new calls. A call waits for its reply
 * only while the engine is still in the cluster (checked every {@link #LIVENESS_MILLIS}): if the
 * engine left, the call fails saying that whether it was performed is unknown.
 *
 * <p>Thread-safety: calls may come from any thread; replies arrive on the control executor, which
 * only completes a future.
 */
final class MemberChannels {
  /** How often a waiting call checks that its engine is still in the cluster. */
  static final long LIVENESS_MILLIS = 1_000;
  /** A local outcome, never on the wire: the engine can no longer answer. */
  private static final byte ENGINE_GONE = -1;
  /** The route of the task whose bytes this thread decodes now (any member runtime of this JVM). */
  private static final ThreadLocal<TaskRoute> DECODING = new ThreadLocal<>();

  static {
    ChannelHost.routeHandles(DECODING::get);
  }

  private final SerialCodec codec;
  private final Seal seal;
  private final Refusals refusals;
  private final AtomicLong callIds = new AtomicLong();
  private final Map<Long, Waiting> calls = new ConcurrentHashMap<>();

  /** A call waiting for its reply, with what the reply must name. */
  private record Waiting(String owner, long wireId, boolean ack, CompletableFuture<ChannelReply> reply) {
    /** An acknowledgement or return takes only its own kinds of answer: a copy of its call's reply is no answer to it. */
    boolean takes(ChannelReply r) {
      return ack ? r.outcome == ChannelReply.ACKED || r.outcome == ChannelReply.ERROR : r.outcome != ChannelReply.ACKED;
    }
  }

  MemberChannels(SerialCodec codec, Seal seal, Refusals refusals) {
    this.codec = codec;
    this.seal = seal;
    this.refusals = refusals;
  }

  /** A route for {@code task} (authenticated); live until {@link TaskRoute#end}. */
  TaskRoute routeFor(RemoteTask task, HazelcastInstance hz) {
    return new TaskRoute(task, hz);
  }

  /** Decodes {@code bytes} with the channel handles in them taking {@code route}. */
  Object decode(TaskRoute route, byte[] bytes, int offset) throws IOException, ClassNotFoundException {
    TaskRoute outer = DECODING.get();
    DECODING.set(route);
    try {
      return codec.decode(bytes, offset);
    } finally {
      if (outer == null) {
        DECODING.remove();
      } else {
        DECODING.set(outer);
      }
    }
  }

  /** A reply from the engine (the control executor): authenticated, then handed to its call. */
  void reply(ChannelReply r, HazelcastInstance hz) {
    if (seal == null || !Seal.matches(r.macWith(seal), r.mac)) {
      refusals.refused("a channel reply failed authentication on " + (hz == null ? "this member"
          : MemberRuntime.describe(hz.getCluster().getLocalMember())) + ": it was not sealed with this member's deployment"
          + " secret (" + ClusterConfig.SECRET + ")");
      return;
    }
    Waiting w = calls.get(r.call);
    if (w == null || !w.owner.equals(r.owner) || w.wireId != r.wireId || !w.takes(r)) {
      return; // no call waits for it: a copy of an old reply
    }
    if (calls.remove(r.call, w)) {
      w.reply.complete(r);
    }
  }

  /** The cases of a call as they travel: operation, channel id and name, argument (an element's bytes). */
  record Cases(byte[] ops, String[] ids, String[] names, byte[][] args) {
    /** Sends and receives; {@code element} gives a send's bytes. */
    static Cases of(ChannelCase[] cases, java.util.function.Function<ChannelCase, byte[]> element) {
      if (cases.length > ChannelCall.MAX_CASES) {
        throw new IllegalArgumentException("a select on a cluster member may have at most " + ChannelCall.MAX_CASES
            + " cases, not " + cases.length);
      }
      Cases w = new Cases(new byte[cases.length], new String[cases.length], new String[cases.length], new byte[cases.length][]);
      for (int i = 0; i < cases.length; i++) {
        ChannelCase c = cases[i];
        w.ops[i] = c.send() ? ChannelCall.SEND : ChannelCall.RECEIVE;
        w.ids[i] = c.channelId();
        w.names[i] = c.channelName();
        w.args[i] = c.send() ? element.apply(c) : new byte[0];
      }
      return w;
    }
  }

  /** One task's way to its engine's channels. */
  final class TaskRoute implements ChannelRoute {
    private final String owner;
    private final long wireId;
    private final int attempt;
    private final String taskName;
    private final boolean encrypted;
    private final UUID engine;
    /** This member's UUID, sealed into each call. */
    private final String self;
    private final HazelcastInstance hz;
    private final Semaphore permits = new Semaphore(ClusterChannels.MAX_OPEN_PER_TASK);
    /** Numbers and publishes this task's calls in one order. */
    private final Object publishing = new Object();
    private volatile boolean ended;

    private TaskRoute(RemoteTask task, HazelcastInstance hz) {
      this.owner = task.owner;
      this.wireId = task.wireId;
      this.attempt = task.attempt;
      this.taskName = task.taskName;
      this.encrypted = task.encrypted;
      this.engine = task.engine;
      this.self = hz == null ? "" : hz.getCluster().getLocalMember().getUuid().toString(); // null: a runtime without a cluster
      this.hz = hz;
    }

    /** The task has ended: its handles refuse further calls. */
    void end() {
      ended = true;
    }

    private void checkLive(String channel) {
      if (ended) {
        throw new IllegalStateException("channel '" + channel + "' was given to task " + taskName
            + ", which has ended: a channel handle on a cluster member is valid while the task that received it runs");
      }
    }

    @Override
    public ChannelOutcome select(ChannelCase[] cases, int start, long timeoutNanos) throws InterruptedException {
      checkLive(cases[0].channelName());
      boolean mayWait = timeoutNanos != NO_WAIT;
      Cases wire = Cases.of(cases, this::encodeElement);
      checkSize(wire.args(), cases[0].channelName());
      if (mayWait) {
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
        permits.acquire();
      } else {
        permits.acquireUninterruptibly();
      }
      try {
        boolean forever = timeoutNanos == FOREVER;
        long deadline = forever ? 0 : System.nanoTime() + timeoutNanos;
        Published call = publish(ChannelCall.CALL, mayWait, start, wire);
        ChannelReply r;
        boolean withdrew = false;
        boolean interrupted = false;
        if (!mayWait) {
          r = awaitUninterruptibly(call);
        } else {
          try {
            r = await(call, forever, deadline);
          } catch (InterruptedException e) {
            interrupted = true;
            withdrew = true;
            r = withdraw(call);
          }
          if (r == null) {
            withdrew = true;
            r = withdraw(call);
          }
        }
        if (r.outcome == ENGINE_GONE && (interrupted || Thread.interrupted())) {
          throw new InterruptedException();
        }
        if (r.outcome == ChannelReply.NONE) {
          if (interrupted) {
            throw new InterruptedException();
          }
          if (!mayWait || withdrew) {
            return null;
          }
          end();
          checkLive(cases[0].channelName()); // the engine withdrew it: the task ended, and a thread it left called on
        }
        if (interrupted) {
          Thread.currentThread().interrupt(); // a counterpart completed it first: report that, keep the interrupt
        }
        return outcome(call.id, r, cases);
      } finally {
        permits.release();
      }
    }

    private ChannelOutcome outcome(long call, ChannelReply r, ChannelCase[] cases) {
      String channel = r.index >= 0 && r.index < cases.length ? cases[r.index].channelName() : cases[0].channelName();
      return switch (r.outcome) {
        case ChannelReply.RECEIVED -> {
          Object value;
          try {
            value = decode(this, open(r), 0);
          } catch (IOException | ClassNotFoundException | GeneralSecurityException | RuntimeException e) {
            acknowledge(call, channel); // taken, and not readable here: lost, saying why
            throw new IllegalStateException("an element of channel '" + channel + "' cannot be decoded on this member: " + e, e);
          }
          acknowledge(call, channel); // confirmed before the task sees it: from here on, the element is the task's
          yield ChannelOutcome.received(r.index, value);
        }
        case ChannelReply.SENT -> ChannelOutcome.sent(r.index);
        case ChannelReply.ENDED -> ChannelOutcome.ended(r.index);
        case ChannelReply.SEND_REFUSED -> ChannelOutcome.sendRefused(r.index);
        case ChannelReply.POISONED -> ChannelOutcome.poisoned(r.index, cause(r));
        default -> throw failure(r, channel);
      };
    }

    @Override
    public void close(String channelId, String channelName) {
      control(ChannelCall.CLOSE, channelId, channelName, new byte[0]);
    }

    @Override
    public void poison(String channelId, String channelName, Throwable cause) {
      byte[] bytes;
      try {
        bytes = codec.encodeFailure(new byte[0], cause);
      } catch (IOException e) {
        throw new IllegalArgumentException("the cause of poisoning channel '" + channelName + "' cannot be sent to the engine: "
            + e, e);
      }
      control(ChannelCall.POISON, channelId, channelName, bytes);
    }

    @Override
    public boolean isClosed(String channelId, String channelName) {
      return control(ChannelCall.IS_CLOSED, channelId, channelName, new byte[0]);
    }

    private boolean control(byte op, String channelId, String channelName, byte[] argument) {
      checkLive(channelName);
      checkSize(new byte[][] {argument}, channelName);
      permits.acquireUninterruptibly();
      try {
        ChannelReply r = controlReply(op, channelId, channelName, argument);
        return switch (r.outcome) {
          case ChannelReply.TRUE -> true;
          case ChannelReply.FALSE -> false;
          default -> throw failure(r, channelName);
        };
      } finally {
        permits.release();
      }
    }

    /** Gives back the element {@code call} received (its worker died first) and waits until the engine has. */
    void giveBack(long call) {
      CompletableFuture<ChannelReply> f = new CompletableFuture<>();
      publishAbout(call, ChannelCall.RETURN, f);
      awaitUninterruptibly(new Published(call, f));
    }

    /** Publishes a close, poison or closed-query and waits for the reply. */
    ChannelReply controlReply(byte op, String channelId, String channelName, byte[] argument) {
      return awaitUninterruptibly(publish(ChannelCall.CALL, false, 0, new Cases(new byte[] {op}, new String[] {channelId},
          new String[] {channelName}, new byte[][] {argument})));
    }

    /** A call on its way: its number and the future of its reply. */
    record Published(long id, CompletableFuture<ChannelReply> reply) {}

    /** Numbers a new call and publishes it, sealed (its arguments encrypted if the task was). */
    Published publish(byte kind, boolean mayWait, int start, Cases cases) {
      byte[][] args = cases.args();
      if (encrypted) {
        for (int i = 0; i < args.length; i++) {
          args[i] = args[i].length == 0 ? args[i] : seal.encrypt(args[i]);
        }
      }
      CompletableFuture<ChannelReply> f = new CompletableFuture<>();
      synchronized (publishing) {
        long id = callIds.incrementAndGet();
        calls.put(id, new Waiting(owner, wireId, false, f));
        send(new ChannelCall(seal, owner, self, wireId, attempt, id, kind, mayWait, start, encrypted, cases.ops(), cases.ids(),
            cases.names(), args), id);
        return new Published(id, f);
      }
    }

    /** Publishes a withdrawal or an acknowledgement of {@code call}, whose reply {@code f} waits for (null: none does). */
    void publishAbout(long call, byte kind, CompletableFuture<ChannelReply> f) {
      synchronized (publishing) {
        if (f != null) {
          calls.put(call, new Waiting(owner, wireId, true, f));
        }
        send(ChannelCall.about(seal, owner, self, wireId, attempt, call, kind), call);
      }
    }

    private void send(ChannelCall c, long id) {
      try {
        hz.<ChannelCall>getTopic(ClusterConfig.CHANNEL_TOPIC_PREFIX + owner).publish(c);
      } catch (RuntimeException e) {
        Waiting w = calls.remove(id);
        if (w != null) {
          w.reply.complete(gone(id, "the engine cannot be reached: " + e));
        }
      }
    }

    /** The reply, or null at the deadline (none if {@code forever}); fails the call if the engine left the cluster meanwhile. */
    private ChannelReply await(Published call, boolean forever, long deadline) throws InterruptedException {
      while (true) {
        long left = forever ? Long.MAX_VALUE : deadline - System.nanoTime();
        if (left <= 0) {
          return null;
        }
        try {
          return call.reply.get(Math.min(left, TimeUnit.MILLISECONDS.toNanos(LIVENESS_MILLIS)), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
          checkEngine(call);
        } catch (ExecutionException e) {
          throw new IllegalStateException(e.getCause());
        }
      }
    }

    private ChannelReply awaitUninterruptibly(Published call) {
      boolean interrupted = false;
      try {
        while (true) {
          try {
            ChannelReply r = await(call, true, 0);
            if (r != null) {
              return r;
            }
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }

    /** Checks every {@link #LIVENESS_MILLIS} until {@code call} has its reply that its engine is still in the cluster. */
    void watch(Published call) {
      CompletableFuture.delayedExecutor(LIVENESS_MILLIS, TimeUnit.MILLISECONDS).execute(() -> {
        if (!call.reply.isDone()) {
          checkEngine(call);
          if (!call.reply.isDone()) {
            watch(call);
          }
        }
      });
    }

    /** The text of an ERROR reply (decrypted if the task was encrypted), or why the engine can no longer answer. */
    String text(ChannelReply r) {
      return message(r);
    }

    /** Completes the call as gone if its engine is no longer in the cluster (or this member is stopping). */
    private void checkEngine(Published call) {
      if (!engineGone()) {
        return;
      }
      Waiting w = calls.remove(call.id);
      if (w != null) {
        w.reply.complete(gone(call.id, "the engine left the cluster"));
      }
    }

    private boolean engineGone() {
      if (!hz.getLifecycleService().isRunning()) {
        return true;
      }
      if (engine == null) {
        return false;
      }
      for (Member m : hz.getCluster().getMembers()) {
        if (m.getUuid().equals(engine)) {
          return false;
        }
      }
      for (Client c : hz.getClientService().getConnectedClients()) {
        if (c.getUuid().equals(engine)) {
          return false;
        }
      }
      return true;
    }

    /** Withdraws a waiting call and waits for its one reply (NONE if the withdrawal won): the call's own reply. */
    private ChannelReply withdraw(Published call) {
      if (!call.reply.isDone()) {
        publishAbout(call.id, ChannelCall.WITHDRAW, null); // the call's own reply answers it
      }
      return awaitUninterruptibly(call);
    }

    /** Acknowledges a received element and waits until the engine recorded it. */
    private void acknowledge(long call, String channel) {
      CompletableFuture<ChannelReply> f = new CompletableFuture<>();
      publishAbout(call, ChannelCall.ACK, f);
      ChannelReply r = awaitUninterruptibly(new Published(call, f));
      if (r.outcome != ChannelReply.ACKED) {
        throw failure(r, channel);
      }
    }

    private byte[] encodeElement(ChannelCase c) {
      try {
        return codec.encode(c.element());
      } catch (NotSerializableException e) {
        throw new IllegalArgumentException("an element sent to channel '" + c.channelName() + "' from a cluster member must be"
            + " serializable: it is, or holds, an object of class " + e.getMessage(), e);
      } catch (IOException e) {
        throw new IllegalArgumentException("an element cannot be sent to channel '" + c.channelName() + "' from a cluster member: "
            + e.getMessage(), e);
      }
    }

    private void checkSize(byte[][] args, String channel) {
      long n = 0;
      for (byte[] a : args) {
        n += a.length;
      }
      if (n > codec.maxBytes()) {
        throw new IllegalArgumentException("an operation on channel '" + channel + "' from a cluster member carries " + n
            + " bytes, beyond the limit of " + codec.maxBytes() + " that " + ClusterConfig.MAX_PAYLOAD + " sets");
      }
    }

    byte[] open(ChannelReply r) throws GeneralSecurityException {
      return r.encrypted ? seal.decrypt(r.bytes, 0) : r.bytes;
    }

    Throwable cause(ChannelReply r) {
      try {
        return codec.decodeFailure(open(r), 0);
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        return new IllegalStateException("the channel was poisoned with a cause that cannot be decoded here: " + e);
      }
    }
  }

  private ChannelReply gone(long call, String why) {
    ChannelReply r = new ChannelReply();
    r.call = call;
    r.outcome = ENGINE_GONE;
    r.bytes = why.getBytes(StandardCharsets.UTF_8);
    return r;
  }

  /** The failure an ERROR reply (or a local one) names; its text is encrypted if the call's arguments were. */
  RuntimeException failure(ChannelReply r, String channel) {
    return new IllegalStateException("channel '" + channel + "': " + message(r)
        + (r.outcome == ENGINE_GONE ? " (whether the operation was performed is unknown)" : ""));
  }

  /** The text of an ERROR reply (or a local one). */
  String message(ChannelReply r) {
    byte[] bytes = r.bytes;
    if (r.encrypted && r.outcome != ENGINE_GONE && bytes.length > 0) {
      try {
        bytes = seal.decrypt(bytes, 0);
      } catch (GeneralSecurityException e) {
        return "an error the engine sent that cannot be decrypted here (" + e + ")";
      }
    }
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
