package dev.gearbox.process;

import dev.gearbox.spi.ChannelCase;
import dev.gearbox.spi.ChannelHost;
import dev.gearbox.spi.ChannelOutcome;
import dev.gearbox.spi.Codec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's side of one worker's channel operations: each {@link EngineBound.ChannelCall} is
 * performed through its attempt's {@link ChannelHost} (this JVM's channels; on a cluster member
 * running the task for an engine elsewhere, a host that forwards to that engine) and answered by
 * exactly one {@link WorkerBound.ChannelReply}.
 *
 * <h2>Never blocking the pipe reader</h2>
 * A call arrives on the worker's reader thread. It starts the operation, which never waits there:
 * a call that cannot complete now stays registered on its channels, and the counterpart that
 * completes it later (a thread of the application, another worker's reader) writes the reply, once
 * it holds no channel lock. A timeout or an interrupt in the worker comes back as
 * {@link EngineBound.ChannelWithdraw}: withdrawn in time, the call is answered
 * {@link WorkerBound.ChannelReply#NONE}; otherwise its outcome is on its way.
 *
 * <h2>States of a call</h2>
 * <pre>
 * open (waiting on its channels) --outcome--> answered (removed)
 *                                --element received--> in delivery --ACK--> acknowledged (removed)
 * open --WITHDRAW won / its task ended--> answered NONE (removed)
 * open --the worker died--> withdrawn; in delivery --the worker died--> the element goes back to its channel's head
 * </pre>
 * The worker acknowledges a received element before its task sees it, and the reader delivers
 * every frame a dead worker wrote before its death is handled, so an element goes back only if the
 * task never saw it: none is lost or duplicated by the death. A pending send withdrawn at the death
 * never entered its channel; one that a counterpart took first is in the channel or with a receiver.
 *
 * <h2>Bounds</h2>
 * Only a task the worker runs may call (one it holds in flight; another is answered with an error),
 * with at most {@link #MAX_OPEN_PER_TASK} calls open or in delivery at once (the worker keeps to it;
 * a worker that does not is killed as a channel fault). Every frame respects the frame limit, and a
 * channel's buffer is bounded by its capacity (plus the elements given back by dead workers). The
 * channels a task reaches are pinned while it runs, so they outlive the application's last
 * reference as long as the task may use them.
 *
 * <p>Lock: this object's monitor guards {@link #open}, {@link #pins} and {@link #dead}; no frame is
 * written and no channel operation performed under it.
 */
final class ChannelCalls {
  private static final Logger log = LoggerFactory.getLogger(ProcessBackend.class); // one category for the backend
  /** Calls a task may have open or in delivery at once (threads of one task calling at the same time). */
  static final int MAX_OPEN_PER_TASK = 16;

  /** A call of the worker, from its frame to its answer (or acknowledgement). */
  private static final class Open {
    final long wire;
    final long call;
    /** Where its channels are (this JVM's, or an engine's elsewhere that a cluster member forwards to). */
    final ChannelHost host;
    /** Set once the operation started and still waits; withdrawn through it. */
    volatile ChannelHost.Call pending;
    /** Set when an element was received for it: in delivery until acknowledged. */
    ChannelHost.Delivery delivery;

    Open(long wire, long call, ChannelHost host) {
      this.wire = wire;
      this.call = call;
      this.host = host;
    }
  }

  private final WorkerProcess worker;
  private final Codec codec;
  /** Guarded by this. */
  private final Map<Long, Open> open = new HashMap<>();
  /** Guarded by this: per running task, the channels its calls reached or that were sent to it. */
  private final Map<Long, Set<Object>> pins = new HashMap<>();
  /** Guarded by this. */
  private boolean dead;

  ChannelCalls(WorkerProcess worker, Codec codec) {
    this.worker = worker;
    this.codec = codec;
  }

  // ---------------------------------------------------------------- frames (the worker's reader thread)

  /** A call of a task of this worker; see the class comment. */
  void call(EngineBound.ChannelCall c) {
    WireAttempt attempt = worker.inFlight.get(c.wire());
    if (attempt == null) {
      answer(c.wire(), c.call(), WorkerBound.ChannelReply.ERROR, 0, text("the task that held this channel has ended"));
      return;
    }
    Open o = new Open(c.wire(), c.call(), attempt.attempt.channelHost());
    synchronized (this) {
      if (dead) {
        return;
      }
      if (open.containsKey(c.call()) || countOpenLocked(c.wire()) >= MAX_OPEN_PER_TASK) {
        fault("call " + c.call() + " of a task with " + countOpenLocked(c.wire()) + " channel call(s) open (at most "
            + MAX_OPEN_PER_TASK + ")");
        return;
      }
      open.put(c.call(), o);
    }
    try {
      if (c.cases().get(0).op() > EngineBound.ChannelCall.SEND) {
        control(o, c.cases().get(0));
      } else {
        select(o, c);
      }
    } catch (IllegalArgumentException e) { // a channel this JVM does not know
      finish(o);
      answer(o.wire, o.call, WorkerBound.ChannelReply.ERROR, 0, text(e.getMessage()));
    }
  }

  private void select(Open o, EngineBound.ChannelCall c) {
    ChannelCase[] cases = new ChannelCase[c.cases().size()];
    for (int i = 0; i < cases.length; i++) {
      EngineBound.ChannelCall.Case k = c.cases().get(i);
      pin(o.wire, o.host.pin(k.channelId(), k.channelName()));
      boolean send = k.op() == EngineBound.ChannelCall.SEND;
      cases[i] = new ChannelCase(send, k.channelId(), k.channelName(), send ? new ChannelHost.Encoded(k.argument(), 0, codec) : null);
    }
    o.pending = o.host.start(cases, c.start(), c.mayWait(), new ChannelHost.Listener() {
      @Override
      public void completed(ChannelOutcome outcome, ChannelHost.Delivery delivery) {
        ChannelCalls.this.completed(o, outcome, delivery);
      }

      @Override
      public void failed(String message) { // a forwarding host's engine refused it, or is gone
        finish(o);
        answer(o.wire, o.call, WorkerBound.ChannelReply.ERROR, 0, text(message));
      }
    });
  }

  private void control(Open o, EngineBound.ChannelCall.Case k) {
    ChannelHost host = o.host;
    pin(o.wire, host.pin(k.channelId(), k.channelName()));
    boolean result = switch (k.op()) {
      case EngineBound.ChannelCall.CLOSE -> host.control(k.channelId(), k.channelName(), ChannelHost.Control.CLOSE, null);
      case EngineBound.ChannelCall.POISON -> host.control(k.channelId(), k.channelName(), ChannelHost.Control.POISON, cause(k));
      default -> host.control(k.channelId(), k.channelName(), ChannelHost.Control.IS_CLOSED, null);
    };
    finish(o);
    answer(o.wire, o.call, result ? WorkerBound.ChannelReply.TRUE : WorkerBound.ChannelReply.FALSE, 0, new byte[0]);
  }

  /** The poison's cause, as the task's failures are decoded (as itself, else a description). */
  private Throwable cause(EngineBound.ChannelCall.Case k) {
    try {
      return codec.decodeFailure(k.argument(), 0);
    } catch (java.io.IOException | RuntimeException e) {
      return new IllegalStateException("a task in " + worker.label() + " poisoned channel '" + k.channelName()
          + "' with a cause that cannot be decoded: " + e);
    }
  }

  void withdraw(EngineBound.ChannelWithdraw w) {
    Open o;
    synchronized (this) {
      o = open.get(w.call());
    }
    ChannelHost.Call pending = o == null ? null : o.pending;
    if (pending != null && pending.withdraw()) {
      finish(o);
      answer(o.wire, o.call, WorkerBound.ChannelReply.NONE, 0, new byte[0]);
    } // else: answered already, or the outcome is on its way
  }

  void ack(EngineBound.ChannelAck a) {
    ChannelHost.Delivery d;
    synchronized (this) {
      Open o = open.get(a.call());
      if (o == null || o.delivery == null) {
        return; // a late frame of a call already settled (its element went back when the task ended unacknowledged)
      }
      open.remove(a.call());
      d = o.delivery;
    }
    d.acknowledged();
  }

  // ---------------------------------------------------------------- outcomes (any thread, no channel lock held)

  private void completed(Open o, ChannelOutcome outcome, ChannelHost.Delivery delivery) {
    boolean giveBack = false;
    synchronized (this) {
      o.pending = null;
      if (dead) {
        giveBack = delivery != null;
        open.remove(o.call);
      } else if (delivery != null) {
        o.delivery = delivery; // in delivery until ACK
      } else {
        open.remove(o.call);
      }
    }
    if (giveBack) {
      delivery.returned();
      return;
    }
    if (outcome == null) {
      answer(o.wire, o.call, WorkerBound.ChannelReply.NONE, 0, new byte[0]);
      return;
    }
    byte kind;
    byte[] bytes = new byte[0];
    int offset = 0;
    switch (outcome.kind()) {
      case RECEIVED -> {
        kind = WorkerBound.ChannelReply.RECEIVED;
        if (outcome.value() instanceof ChannelHost.Encoded e) {
          bytes = e.bytes(); // sent by a worker: passed on as it came
          offset = e.offset();
        } else {
          try {
            bytes = o.host.carrying(() -> codec.encode(outcome.value()), b -> pin(o.wire, b));
          } catch (java.io.IOException | RuntimeException x) {
            // It cannot travel: the receive fails saying why, and the element, taken, is lost.
            finish(o);
            delivery.acknowledged();
            answer(o.wire, o.call, WorkerBound.ChannelReply.ERROR, outcome.index(), text("an element of class "
                + outcome.value().getClass().getName() + " cannot be sent to a worker process: " + x.getMessage()));
            return;
          }
        }
      }
      case SENT -> kind = WorkerBound.ChannelReply.SENT;
      case ENDED -> kind = WorkerBound.ChannelReply.ENDED;
      case SEND_REFUSED -> kind = WorkerBound.ChannelReply.SEND_REFUSED;
      case POISONED -> {
        kind = WorkerBound.ChannelReply.POISONED;
        bytes = encodeCause(outcome.poison());
      }
      default -> throw new IllegalStateException("outcome " + outcome.kind());
    }
    worker.send(new WorkerBound.ChannelReply(o.wire, o.call, kind, outcome.index(), bytes, offset));
    // If the worker is gone, its death hands an element in delivery back to the channel.
  }

  private byte[] encodeCause(Throwable t) {
    try {
      return codec.encodeFailure(new byte[0], t);
    } catch (java.io.IOException e) {
      try {
        return codec.encodeFailure(new byte[0], new IllegalStateException("the channel was poisoned with " + t.getClass().getName()));
      } catch (java.io.IOException last) {
        return new byte[0];
      }
    }
  }

  // ---------------------------------------------------------------- the task's end, the worker's death

  /** The task {@code wire} has ended (its outcome arrived): its waiting calls (threads it left) are withdrawn. */
  void taskEnded(long wire) {
    List<Open> mine = new ArrayList<>();
    synchronized (this) {
      pins.remove(wire);
      for (Open o : open.values()) {
        if (o.wire == wire && o.delivery == null) {
          mine.add(o);
        }
      }
    }
    for (Open o : mine) {
      ChannelHost.Call pending = o.pending;
      if (pending != null && pending.withdraw()) {
        finish(o);
        answer(o.wire, o.call, WorkerBound.ChannelReply.NONE, 0, new byte[0]);
      }
    }
  }

  /**
   * The worker is dead (called once, after its reader delivered every frame it wrote): waiting calls
   * are withdrawn, and elements in delivery go back to the head of their channels, in their order.
   */
  void workerDied() {
    List<Open> all;
    synchronized (this) {
      dead = true;
      all = new ArrayList<>(open.values());
      open.clear();
      pins.clear();
    }
    all.sort(Comparator.comparingLong((Open o) -> o.call).reversed()); // the earliest ends at the very head
    for (Open o : all) {
      ChannelHost.Delivery d;
      synchronized (this) {
        d = o.delivery;
      }
      if (d != null) {
        d.returned();
      } else {
        ChannelHost.Call pending = o.pending;
        if (pending != null) {
          pending.withdraw(); // if a counterpart won, completed() sees the death and gives the element back
        }
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private synchronized void finish(Open o) {
    open.remove(o.call);
  }

  private synchronized void pin(long wire, Object channel) {
    if (!dead) {
      pins.computeIfAbsent(wire, w -> Collections.newSetFromMap(new IdentityHashMap<>())).add(channel);
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

  private void answer(long wire, long call, byte outcome, int index, byte[] bytes) {
    worker.send(WorkerBound.ChannelReply.of(wire, call, outcome, index, bytes));
  }

  private static byte[] text(String s) {
    return Protocol.utf8Prefix(s == null ? "" : s, 4096);
  }

  /** A worker that breaks the channel protocol is killed, as for any channel fault. */
  private void fault(String what) {
    log.warn("Gearbox: {} broke the channel protocol ({}); retiring it", worker.label(), what);
    worker.channelFault("channel protocol broken: " + what);
  }
}
