package dev.gearbox.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.topic.ITopic;
import com.hazelcast.topic.Message;
import dev.gearbox.spi.ChannelCase;
import dev.gearbox.spi.ChannelHost;
import dev.gearbox.spi.ChannelOutcome;
import dev.gearbox.spi.remote.SerialCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's side of its tasks' channel operations on other members: each {@link ChannelCall}
 * published on the engine's channel topic is authenticated, then performed on this JVM's channels
 * through {@link ChannelHost} and answered by exactly one {@link ChannelReply}, sent to the calling
 * member on its {@code gearbox-control} executor. Tasks on the engine's own member never come here:
 * their handles resolve to the channels themselves.
 *
 * <h2>Never blocking a Hazelcast thread</h2>
 * Calls arrive on the topic's event thread. A call that cannot complete now stays registered on its
 * channels; the counterpart that completes it later (a thread of the application, another call)
 * sends the reply once it holds no channel lock. Sending a reply only queues an operation.
 *
 * <h2>States of a call</h2>
 * <pre>
 * open (waiting on its channels) --outcome--> answered (removed)
 *                                --element received--> in delivery --ACK--> acknowledged, answered ACKED (removed)
 * open --WITHDRAW won / its attempt ended--> answered NONE (removed)
 * open --its member left--> withdrawn; in delivery --its member left--> the element goes back to its channel's head
 * in delivery --its attempt ended, no ACK within DELIVERY_GRACE_MILLIS--> the element goes back; a late ACK gets an error
 * </pre>
 * Whoever wins a call's withdrawal answers it (an error if the call was settled meanwhile); a call
 * that never waited is answered by the thread that performed it.
 * A member's task has a received element only once the engine answered its ACK, so an element
 * goes back only if the task never had it: none is lost or duplicated by a member's death. A
 * pending send withdrawn at the death never entered its channel; one a counterpart took first is
 * in the channel or with a receiver. A member counted as gone (it left, or its attempts failed as
 * if it had) gets an error for every later call, so none of its threads waits for ever.
 *
 * <h2>Authentication and bounds</h2>
 * A call counts only if its MAC checks out for this engine and the member that published it is the
 * one sealed into it (else it is dropped and counted in {@code cluster.envelopes-refused}), it names an attempt in flight (else it is answered with an
 * error: a thread the task left behind), and its number is above the last one its member sent for
 * that attempt (else it is a replay: dropped and counted). A task has at most
 * {@link #MAX_OPEN_PER_TASK} calls open or in delivery; more are answered with an error. The
 * channels a task reaches are pinned while its attempt runs.
 *
 * <p>Lock: this object's monitor guards the maps and {@link #closed}; no reply is sent and no
 * channel operation performed under it.
 */
final class ClusterChannels {
  private static final Logger log = LoggerFactory.getLogger(ClusterBackend.class); // one category for the backend
  /**
   * How long an element stays in delivery to an attempt that ended normally, for its acknowledgement
   * still on its way; then it goes back to its channel (a later acknowledgement is answered with an
   * error), so that a lost acknowledgement loses no element.
   */
  static final long DELIVERY_GRACE_MILLIS = 10_000;
  /** Calls a task may have open or in delivery at once (threads of one task calling at the same time). */
  static final int MAX_OPEN_PER_TASK = 16;

  private final String engineName;
  private final String owner;
  private final Seal seal;
  private final SerialCodec codec;
  private final Refusals refused;
  private final IExecutorService control;
  private final ChannelHost host = ChannelHost.local();

  /** An attempt in flight, by wire id: what its members' calls must match. */
  private static final class Live {
    final int attempt;
    /** The number of the last call taken from each member (a durable task may run on several). */
    final Map<UUID, Long> lastCall = new HashMap<>();
    /** Withdrawals that overtook their calls. */
    final Set<Long> early = new HashSet<>();
    /** The channels its calls reached or that were sent to it. */
    final Set<Object> pins = Collections.newSetFromMap(new IdentityHashMap<>());

    Live(int attempt) {
      this.attempt = attempt;
    }
  }

  private record CallKey(UUID member, long call) {}

  /** A call of a member, from its envelope to its answer (or acknowledgement). */
  private static final class Open {
    final long wire;
    final int attempt;
    final long call;
    final Member member;
    final boolean encrypted;
    /** Set once the operation started and still waits; withdrawn through it. */
    volatile ChannelHost.Call pending;
    /** Set when an element was received for it: in delivery until acknowledged. Guarded by the outer monitor. */
    ChannelHost.Delivery delivery;

    Open(ChannelCall c, Member member) {
      this.wire = c.wireId;
      this.attempt = c.attempt;
      this.call = c.call;
      this.member = member;
      this.encrypted = c.encrypted;
    }

    CallKey key() {
      return new CallKey(member.getUuid(), call);
    }
  }

  /** Guarded by this. */
  private final Map<Long, Live> live = new HashMap<>();
  /** Guarded by this. */
  private final Map<CallKey, Open> open = new HashMap<>();
  /** Members counted as gone. Guarded by this. */
  private final Set<UUID> gone = new HashSet<>();
  /** Guarded by this. */
  private boolean closed;
  private volatile ITopic<ChannelCall> topic;

  ClusterChannels(String engineName, String owner, Seal seal, SerialCodec codec, Refusals refused, IExecutorService control) {
    this.engineName = engineName;
    this.owner = owner;
    this.seal = seal;
    this.codec = codec;
    this.refused = refused;
    this.control = control;
  }

  /** Subscribes to the engine's channel topic on {@code hz}, whose name members derive from the engine's id. */
  void listenTo(HazelcastInstance hz) {
    ITopic<ChannelCall> t = hz.getTopic(ClusterConfig.CHANNEL_TOPIC_PREFIX + owner);
    t.addMessageListener(this::onMessage);
    this.topic = t;
  }

  /** The topic members publish on; null before {@link #listenTo}. */
  ITopic<ChannelCall> topic() {
    return topic;
  }

  // ---------------------------------------------------------------- attempts

  /** The attempt {@code wire}, number {@code attempt}, is about to be sent: its task's calls count from now. */
  synchronized void began(long wire, int attempt) {
    if (!closed) {
      live.put(wire, new Live(attempt));
    }
  }

  /**
   * The attempt {@code wire} has ended: its waiting calls (threads it left) are withdrawn, later
   * ones refused. {@code lost}: it failed as if its member had left (its outcome will never come):
   * the elements in delivery to it go back to their channels too, as in {@link #memberGone}; else
   * those still unacknowledged {@link #DELIVERY_GRACE_MILLIS} later do.
   */
  void ended(long wire, boolean lost) {
    List<Open> mine = new ArrayList<>();
    List<Open> delivering = new ArrayList<>();
    synchronized (this) {
      live.remove(wire);
      if (lost) {
        open.values().removeIf(o -> {
          if (o.wire == wire) {
            mine.add(o);
            return true;
          }
          return false;
        });
      } else {
        for (Open o : open.values()) {
          if (o.wire == wire) {
            (o.delivery == null ? mine : delivering).add(o);
          }
        }
      }
    }
    if (lost) {
      giveBack(mine);
      return;
    }
    for (Open o : mine) {
      withdrawAndAnswer(o);
    }
    if (!delivering.isEmpty()) {
      java.util.concurrent.CompletableFuture.delayedExecutor(DELIVERY_GRACE_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS)
          .execute(() -> unacknowledged(delivering));
    }
  }

  /**
   * Gives back the elements of {@code calls} still in delivery (their acknowledgements were lost),
   * and answers each call's acknowledgement with an error, should its member still wait for that.
   */
  private void unacknowledged(List<Open> calls) {
    List<Open> still = new ArrayList<>();
    synchronized (this) {
      for (Open o : calls) {
        if (o.delivery != null && open.remove(o.key(), o)) {
          still.add(o);
        }
      }
    }
    giveBack(still);
    for (Open o : still) {
      answer(o, ChannelReply.ERROR, 0, text("the element went back to its channel: its task's acknowledgement did not come"
          + " within " + DELIVERY_GRACE_MILLIS + " ms of the task's end"));
    }
  }

  /**
   * The member {@code uuid} left the cluster, or its attempts failed as if it had: its waiting calls
   * are withdrawn, and the elements in delivery to it go back to the head of their channels, in
   * their order. Idempotent.
   */
  void memberGone(UUID uuid) {
    List<Open> theirs = new ArrayList<>();
    synchronized (this) {
      if (!gone.add(uuid)) {
        return;
      }
      open.values().removeIf(o -> {
        if (o.member.getUuid().equals(uuid)) {
          theirs.add(o);
          return true;
        }
        return false;
      });
    }
    giveBack(theirs);
  }

  /** The engine leaves the cluster: every waiting call is withdrawn, every element in delivery goes back. */
  void close() {
    List<Open> all;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      all = new ArrayList<>(open.values());
      open.clear();
      live.clear();
    }
    giveBack(all);
  }

  private void giveBack(List<Open> calls) {
    calls.sort(Comparator.comparingLong((Open o) -> o.call).reversed()); // the earliest ends at the very head
    for (Open o : calls) {
      ChannelHost.Delivery d;
      synchronized (this) {
        d = o.delivery;
        o.delivery = null;
      }
      if (d != null) {
        d.returned();
      } else {
        ChannelHost.Call pending = o.pending;
        if (pending != null && pending.withdraw()) {
          // Should the member still be there (its attempt failed as if it had left), its thread must not wait for ever.
          answer(o, ChannelReply.ERROR, 0, text("the engine counted the task's member as gone, or is closing: the call was"
              + " withdrawn"));
        } // else a counterpart won: completed() sees the call settled, gives the element back and answers
      }
    }
  }

  // ---------------------------------------------------------------- envelopes (the topic's event thread)

  private void onMessage(Message<ChannelCall> m) {
    ChannelCall c = m.getMessageObject();
    if (c == null || !owner.equals(c.owner) || !Seal.matches(c.macWith(seal), c.mac)) {
      refused.refused("engine " + engineName + " dropped a channel call that failed authentication (not sealed with this"
          + " deployment's secret, " + ClusterConfig.SECRET + "): someone without the secret publishes on its topic");
      return;
    }
    Member from = m.getPublishingMember();
    if (from == null || !from.getUuid().toString().equals(c.member)) {
      refused.refused("engine " + engineName + " dropped channel call " + c.call + " of attempt " + c.wireId + ": it names"
          + " member " + c.member + " but " + (from == null ? "an unknown member" : MemberRuntime.describe(from))
          + " published it (a copy played back from another member)");
      return;
    }
    switch (c.kind) {
      case ChannelCall.CALL -> call(c, from);
      case ChannelCall.WITHDRAW -> withdraw(c, from);
      case ChannelCall.ACK -> ack(c, from);
      case ChannelCall.RETURN -> giveBack(c, from);
      default -> refused.refused("engine " + engineName + " dropped a channel call of unknown kind " + c.kind);
    }
  }

  private void call(ChannelCall c, Member from) {
    UUID uuid = from.getUuid();
    Open o = null;
    String error = null;
    boolean replay = false;
    boolean withdrawn = false;
    synchronized (this) {
      Live l = live.get(c.wireId);
      if (closed || gone.contains(uuid)) {
        error = "the engine counts this member as gone, or is closing: the call was not performed";
      } else if (l == null || l.attempt != c.attempt) {
        error = "the task that held this channel has ended";
      } else if (c.call <= l.lastCall.getOrDefault(uuid, 0L)) {
        replay = true;
      } else {
        l.lastCall.put(uuid, c.call);
        if (l.early.remove(c.call)) {
          withdrawn = true;
        } else if (countOpenLocked(c.wireId) >= MAX_OPEN_PER_TASK) {
          error = "a task may have at most " + MAX_OPEN_PER_TASK + " channel calls open at once";
        } else if (c.cases() == 0) {
          error = "a channel call without a case";
        } else {
          o = new Open(c, from);
          open.put(o.key(), o);
        }
      }
    }
    if (replay) {
      refused.refused("engine " + engineName + " dropped channel call " + c.call + " of attempt " + c.wireId + " from "
          + MemberRuntime.describe(from) + ": it was taken before (a copy played back)");
      return;
    }
    if (error != null || withdrawn) {
      send(from, c.wireId, c.attempt, c.call, withdrawn ? ChannelReply.NONE : ChannelReply.ERROR, 0, c.encrypted,
          error == null ? new byte[0] : text(error));
      return;
    }
    try {
      byte[][] args = new byte[c.cases()][];
      for (int i = 0; i < args.length; i++) {
        args[i] = c.encrypted && c.arguments[i].length > 0 ? seal.decrypt(c.arguments[i], 0) : c.arguments[i];
      }
      if (c.ops[0] > ChannelCall.RECEIVE) {
        control(o, c, args[0]);
      } else {
        select(o, c, args);
      }
    } catch (IllegalArgumentException | GeneralSecurityException e) { // a channel this JVM does not know; a bad argument
      finish(o);
      answer(o, ChannelReply.ERROR, 0, text(e.getMessage())); // it never waited: only this thread can answer
    }
  }

  private void select(Open o, ChannelCall c, byte[][] args) {
    ChannelCase[] cases = new ChannelCase[args.length];
    for (int i = 0; i < cases.length; i++) {
      if (c.ops[i] != ChannelCall.SEND && c.ops[i] != ChannelCall.RECEIVE) {
        throw new IllegalArgumentException("a select may only send and receive");
      }
      pin(o.wire, host.pin(c.channelIds[i], c.channelNames[i]));
      boolean send = c.ops[i] == ChannelCall.SEND;
      cases[i] = new ChannelCase(send, c.channelIds[i], c.channelNames[i], send ? new ChannelHost.Encoded(args[i], 0, codec) : null);
    }
    int start = Math.floorMod(c.start, cases.length);
    o.pending = host.start(cases, start, c.mayWait, (outcome, delivery) -> completed(o, outcome, delivery));
    boolean stale;
    synchronized (this) {
      stale = closed || !live.containsKey(o.wire) || gone.contains(o.member.getUuid());
    }
    if (stale) {
      withdrawAndAnswer(o); // its attempt ended (or its member went) while it started: it must not stay waiting
    }
  }

  private void control(Open o, ChannelCall c, byte[] argument) {
    String id = c.channelIds[0];
    String name = c.channelNames[0];
    pin(o.wire, host.pin(id, name));
    boolean result = switch (c.ops[0]) {
      case ChannelCall.CLOSE -> host.control(id, name, ChannelHost.Control.CLOSE, null);
      case ChannelCall.POISON -> host.control(id, name, ChannelHost.Control.POISON, cause(argument, name, o.member));
      case ChannelCall.IS_CLOSED -> host.control(id, name, ChannelHost.Control.IS_CLOSED, null);
      default -> throw new IllegalArgumentException("unknown channel operation " + c.ops[0]);
    };
    finish(o);
    answer(o, result ? ChannelReply.TRUE : ChannelReply.FALSE, 0, new byte[0]); // performed: only this thread can answer
  }

  /** The poison's cause, as task failures are decoded (as itself, else a description). */
  private Throwable cause(byte[] argument, String channel, Member from) {
    try {
      return codec.decodeFailure(argument, 0);
    } catch (IOException | RuntimeException e) {
      return new IllegalStateException("a task on " + MemberRuntime.describe(from) + " poisoned channel '" + channel
          + "' with a cause that cannot be decoded: " + e);
    }
  }

  private void withdraw(ChannelCall c, Member from) {
    Open o;
    synchronized (this) {
      o = open.get(new CallKey(from.getUuid(), c.call));
      if (o == null) {
        Live l = live.get(c.wireId);
        if (l != null && l.attempt == c.attempt && c.call > l.lastCall.getOrDefault(from.getUuid(), 0L)
            && l.early.size() < MAX_OPEN_PER_TASK) {
          l.early.add(c.call); // it overtook its call: the call is answered NONE when it comes
        }
        return;
      }
    }
    withdrawAndAnswer(o);
  }

  /** Takes the element in delivery for {@code c}'s call, settling the call; null if there is none. */
  private synchronized ChannelHost.Delivery takeDelivery(ChannelCall c, Member from) {
    Open o = open.get(new CallKey(from.getUuid(), c.call));
    if (o == null || o.delivery == null || o.wire != c.wireId) {
      return null;
    }
    open.remove(o.key());
    ChannelHost.Delivery d = o.delivery;
    o.delivery = null;
    return d;
  }

  private void ack(ChannelCall c, Member from) {
    ChannelHost.Delivery d = takeDelivery(c, from);
    if (d == null) {
      // Settled already: its member counted as gone or the engine closing gave the element back.
      send(from, c.wireId, c.attempt, c.call, ChannelReply.ERROR, 0, c.encrypted, text("the element went back to its channel"
          + " before the task had it (the engine counted its member as gone, or is closing)"));
      return;
    }
    d.acknowledged();
    send(from, c.wireId, c.attempt, c.call, ChannelReply.ACKED, 0, c.encrypted, new byte[0]);
  }

  /** An element in delivery that will never reach its task (its worker process died on an isolated member). */
  private void giveBack(ChannelCall c, Member from) {
    ChannelHost.Delivery d = takeDelivery(c, from);
    if (d != null) {
      d.returned();
    }
    send(from, c.wireId, c.attempt, c.call, ChannelReply.ACKED, 0, false, new byte[0]); // back before its task is reported
  }

  // ---------------------------------------------------------------- outcomes (any thread, no channel lock held)

  private void completed(Open o, ChannelOutcome outcome, ChannelHost.Delivery delivery) {
    boolean giveBack = false;
    synchronized (this) {
      o.pending = null;
      if (!open.containsKey(o.key())) { // settled: its member counted as gone, or the engine closed
        giveBack = delivery != null; // whoever settled it lost the withdrawal: this thread answers, below
      } else if (delivery != null) {
        o.delivery = delivery; // in delivery until ACK
      } else {
        open.remove(o.key());
      }
    }
    if (giveBack) {
      delivery.returned();
      answer(o, ChannelReply.ERROR, 0, text("the element went back to its channel before the task had it (the engine"
          + " counted its member as gone, or is closing)"));
      return;
    }
    if (outcome == null) {
      answer(o, ChannelReply.NONE, 0, new byte[0]);
      return;
    }
    byte kind;
    byte[] bytes = new byte[0];
    switch (outcome.kind()) {
      case RECEIVED -> {
        kind = ChannelReply.RECEIVED;
        if (outcome.value() instanceof ChannelHost.Encoded e) {
          bytes = e.offset() == 0 ? e.bytes() : java.util.Arrays.copyOfRange(e.bytes(), e.offset(), e.bytes().length);
        } else {
          try {
            bytes = host.carrying(() -> codec.encode(outcome.value()), b -> pin(o.wire, b));
          } catch (IOException | RuntimeException x) {
            // It cannot travel: the receive fails saying why, and the element, taken, is lost.
            ChannelHost.Delivery d;
            synchronized (this) {
              open.remove(o.key(), o);
              d = o.delivery; // null if its member was counted as gone meanwhile, which gave it back
              o.delivery = null;
            }
            if (d != null) {
              d.acknowledged();
            }
            answer(o, ChannelReply.ERROR, outcome.index(), text("an element of class " + outcome.value().getClass().getName()
                + " cannot be sent to a cluster member: " + x.getMessage()));
            return;
          }
        }
      }
      case SENT -> kind = ChannelReply.SENT;
      case ENDED -> kind = ChannelReply.ENDED;
      case SEND_REFUSED -> kind = ChannelReply.SEND_REFUSED;
      case POISONED -> {
        kind = ChannelReply.POISONED;
        bytes = encodeCause(outcome.poison());
      }
      default -> throw new IllegalStateException("outcome " + outcome.kind());
    }
    answer(o, kind, outcome.index(), bytes);
    // If the member is gone, memberGone hands an element in delivery back to the channel.
  }

  private byte[] encodeCause(Throwable t) {
    try {
      return codec.encodeFailure(new byte[0], t);
    } catch (IOException e) {
      try {
        return codec.encodeFailure(new byte[0], new IllegalStateException("the channel was poisoned with " + t.getClass().getName()));
      } catch (IOException last) {
        return new byte[0];
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Withdraws a waiting call; if the withdrawal won, this thread answers it: NONE, or an error if the
   * call was settled meanwhile (its member counted as gone, the engine closing), whose settling found
   * nothing to withdraw yet.
   */
  private void withdrawAndAnswer(Open o) {
    ChannelHost.Call pending = o.pending;
    if (pending != null && pending.withdraw()) {
      if (finish(o)) {
        answer(o, ChannelReply.NONE, 0, new byte[0]);
      } else {
        answer(o, ChannelReply.ERROR, 0, text("the engine counted the task's member as gone, or is closing: the call was"
            + " withdrawn"));
      }
    }
  }

  /** Removes a call that ends now; false if it was settled already (its member gone, the engine closed). */
  private synchronized boolean finish(Open o) {
    return open.remove(o.key(), o);
  }

  private synchronized void pin(long wire, Object channel) {
    Live l = live.get(wire);
    if (l != null) {
      l.pins.add(channel);
    }
  }

  private int countOpenLocked(long wire) {
    int n = 0;
    for (Open o : open.values()) {
      if (o.wire == wire) {
        n++;
      }
    }
    return n;
  }

  private void answer(Open o, byte outcome, int index, byte[] bytes) {
    send(o.member, o.wire, o.attempt, o.call, outcome, index, o.encrypted, bytes);
  }

  private void send(Member to, long wire, int attempt, long call, byte outcome, int index, boolean encrypted, byte[] bytes) {
    byte[] body = encrypted && bytes.length > 0 ? seal.encrypt(bytes) : bytes;
    try {
      control.executeOnMember(new ChannelReply(seal, owner, wire, attempt, call, outcome, index, encrypted, body), to);
    } catch (RuntimeException e) {
      log.debug("Gearbox: engine {} could not answer a channel call of {}: {}", engineName, MemberRuntime.describe(to), e.toString());
    }
  }

  private static byte[] text(String s) {
    return (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
  }
}
