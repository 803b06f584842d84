package dev.gearbox.process;

import dev.gearbox.spi.ChannelCase;
import dev.gearbox.spi.ChannelHost;
import dev.gearbox.spi.ChannelOutcome;
import dev.gearbox.spi.ChannelRoute;
import dev.gearbox.spi.Codec;
import java.io.IOException;
import java.io.NotSerializableException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The worker's side of channels: every channel handle a task's payload brings resolves to that
 * task's {@link TaskRoute}, which performs each operation as a {@link EngineBound.ChannelCall} to
 * the engine and waits for its {@link WorkerBound.ChannelReply}.
 *
 * <p>The waiting thread keeps the channel contract: a timeout or an interrupt sends
 * {@link EngineBound.ChannelWithdraw} and waits for the one answer, which says whether the
 * withdrawal won (nothing happened: null, or {@link InterruptedException}) or a counterpart had
 * completed the call first (its outcome is returned, the interrupt status kept). A received element
 * is decoded and then acknowledged ({@link EngineBound.ChannelAck}) before the call returns: the
 * engine keeps it in delivery until then, and gives it back to the channel if this JVM dies first.
 *
 * <p>A task may have at most {@link ChannelCalls#MAX_OPEN_PER_TASK} calls open at once (threads of
 * one task calling together wait for a permit). Once the task ends, its route refuses new calls.
 *
 * <p>Thread-safety: calls may come from any thread; answers arrive on the thread that reads the
 * engine's frames, which only completes a future.
 */
final class RemoteChannels {
  /** Writes a frame to the engine (serialized with every other frame the worker writes). */
  interface FrameSink {
    void send(EngineBound frame) throws IOException;
  }

  /** A local answer, never on the wire: the engine can no longer answer (it shut down, or its frames ended). */
  private static final byte ENGINE_GONE = -1;

  private final Codec codec;
  private final FrameSink sink;
  /** Called before a call's thread waits for its answer: whoever would read the answer must not be that thread. */
  private final Runnable beforeWaiting;
  /** Why the engine can no longer answer; null while it can. */
  private volatile String gone;
  private final int maxFrame;
  private final AtomicLong callIds = new AtomicLong();
  private final Map<Long, CompletableFuture<WorkerBound.ChannelReply>> calls = new ConcurrentHashMap<>();
  /** The route of the task whose bytes this thread decodes now. */
  private final ThreadLocal<TaskRoute> decoding = new ThreadLocal<>();

  RemoteChannels(Codec codec, FrameSink sink, Runnable beforeWaiting, int maxFrame) {
    this.codec = codec;
    this.sink = sink;
    this.beforeWaiting = beforeWaiting;
    this.maxFrame = maxFrame;
    ChannelHost.routeHandles(decoding::get);
  }

  /** A route for the task {@code wire}; live until {@link TaskRoute#end}. */
  TaskRoute routeFor(long wire, String taskName) {
    return new TaskRoute(wire, taskName);
  }

  /** Decodes {@code bytes} with channel handles in them taking {@code route}. */
  Object decode(TaskRoute route, byte[] bytes, int offset) throws IOException, ClassNotFoundException {
    TaskRoute outer = decoding.get();
    decoding.set(route);
    try {
      return codec.decode(bytes, offset);
    } finally {
      if (outer == null) {
        decoding.remove();
      } else {
        decoding.set(outer);
      }
    }
  }

  /**
   * The engine will answer no more calls (it said SHUTDOWN, after which this worker reads no more
   * frames, or its frames ended): every open call ends now, and later ones fail at once. A call
   * whose thread was interrupted (the engine interrupts running tasks before it shuts down) ends
   * with {@link InterruptedException}; others with {@link IllegalStateException} saying why. The
   * engine gives back any element it took for a receive that was never acknowledged.
   */
  void engineGone(String why) {
    gone = why;
    for (Long call : calls.keySet()) {
      CompletableFuture<WorkerBound.ChannelReply> f = calls.remove(call);
      if (f != null) {
        f.complete(goneReply(call));
      }
    }
  }

  private WorkerBound.ChannelReply goneReply(long call) {
    return WorkerBound.ChannelReply.of(0, call, ENGINE_GONE, 0, gone.getBytes(StandardCharsets.UTF_8));
  }

  /** An answer from the engine (the reading thread): completes its call. */
  void reply(WorkerBound.ChannelReply r) {
    CompletableFuture<WorkerBound.ChannelReply> f = calls.remove(r.call());
    if (f != null) {
      f.complete(r);
    }
  }

  /** One task's way to the engine's channels. */
  final class TaskRoute implements ChannelRoute {
    private final long wire;
    private final String taskName;
    private final Semaphore permits = new Semaphore(ChannelCalls.MAX_OPEN_PER_TASK);
    private volatile boolean ended;

    private TaskRoute(long wire, String taskName) {
      this.wire = wire;
      this.taskName = taskName;
    }

    /** The task has ended: its handles refuse further calls. */
    void end() {
      ended = true;
    }

    private void checkLive(String channel) {
      if (ended) {
        throw new IllegalStateException("channel '" + channel + "' was given to task " + taskName
            + ", which has ended: a channel handle in a worker is valid while the task that received it runs");
      }
    }

    @Override
    public ChannelOutcome select(ChannelCase[] cases, int start, long timeoutNanos) throws InterruptedException {
      checkLive(cases[0].channelName());
      boolean mayWait = timeoutNanos != NO_WAIT;
      List<EngineBound.ChannelCall.Case> wireCases = new ArrayList<>(cases.length);
      for (ChannelCase c : cases) {
        byte op = c.send() ? EngineBound.ChannelCall.SEND : EngineBound.ChannelCall.RECEIVE;
        wireCases.add(new EngineBound.ChannelCall.Case(op, c.channelId(), c.channelName(),
            c.send() ? encodeElement(c) : new byte[0]));
      }
      if (mayWait) {
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
        permits.acquire();
      } else {
        permits.acquireUninterruptibly();
      }
      try {
        EngineBound.ChannelCall call = new EngineBound.ChannelCall(wire, callIds.incrementAndGet(), mayWait, start, wireCases);
        checkSize(call, cases[0].channelName());
        CompletableFuture<WorkerBound.ChannelReply> answer = open(call);
        WorkerBound.ChannelReply r;
        boolean withdrew = false;
        boolean interrupted = false;
        if (!mayWait) {
          r = answer.join();
        } else {
          try {
            r = timeoutNanos == FOREVER ? answer.get() : answer.get(timeoutNanos, TimeUnit.NANOSECONDS);
          } catch (InterruptedException e) {
            interrupted = true;
            withdrew = true;
            r = withdraw(call, answer);
          } catch (TimeoutException e) {
            withdrew = true;
            r = withdraw(call, answer);
          } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
          }
        }
        if (r.outcome() == ENGINE_GONE && (interrupted || Thread.interrupted())) {
          throw new InterruptedException(); // the engine interrupted the task as it shut down
        }
        if (r.outcome() == WorkerBound.ChannelReply.NONE) {
          if (interrupted) {
            throw new InterruptedException();
          }
          if (!mayWait || withdrew) {
            return null;
          }
          end();
          checkLive(cases[0].channelName()); // the engine withdrew it: the task ended, and a thread of it called on
        }
        if (interrupted) {
          Thread.currentThread().interrupt(); // a counterpart completed it first: report that, keep the interrupt
        }
        return outcome(call, r, cases);
      } finally {
        permits.release();
      }
    }

    private ChannelOutcome outcome(EngineBound.ChannelCall call, WorkerBound.ChannelReply r, ChannelCase[] cases) {
      String channel = r.index() >= 0 && r.index() < cases.length ? cases[r.index()].channelName() : cases[0].channelName();
      return switch (r.outcome()) {
        case WorkerBound.ChannelReply.RECEIVED -> {
          Object value;
          try {
            value = decode(this, r.bytes(), r.offset());
          } catch (IOException | ClassNotFoundException | RuntimeException e) {
            acknowledge(call); // taken, and not readable here: lost, saying why
            throw new IllegalStateException("an element of channel '" + channel + "' cannot be decoded in this worker: " + e, e);
          }
          acknowledge(call); // before the task sees it: from here on, the element is the task's
          yield ChannelOutcome.received(r.index(), value);
        }
        case WorkerBound.ChannelReply.SENT -> ChannelOutcome.sent(r.index());
        case WorkerBound.ChannelReply.ENDED -> ChannelOutcome.ended(r.index());
        case WorkerBound.ChannelReply.SEND_REFUSED -> ChannelOutcome.sendRefused(r.index());
        case WorkerBound.ChannelReply.POISONED -> ChannelOutcome.poisoned(r.index(), cause(r));
        default -> throw failure(r, channel);
      };
    }

    @Override
    public void close(String channelId, String channelName) {
      control(EngineBound.ChannelCall.CLOSE, channelId, channelName, new byte[0]);
    }

    @Override
    public void poison(String channelId, String channelName, Throwable cause) {
      byte[] bytes;
      try {
        bytes = codec.encodeFailure(new byte[0], cause);
      } catch (IOException e) {
        throw new IllegalArgumentException("the cause of poisoning channel '" + channelName + "' cannot be sent to the engine: " + e, e);
      }
      control(EngineBound.ChannelCall.POISON, channelId, channelName, bytes);
    }

    @Override
    public boolean isClosed(String channelId, String channelName) {
      return control(EngineBound.ChannelCall.IS_CLOSED, channelId, channelName, new byte[0]);
    }

    private boolean control(byte op, String channelId, String channelName, byte[] argument) {
      checkLive(channelName);
      permits.acquireUninterruptibly();
      try {
        EngineBound.ChannelCall call = new EngineBound.ChannelCall(wire, callIds.incrementAndGet(), false, 0,
            List.of(new EngineBound.ChannelCall.Case(op, channelId, channelName, argument)));
        checkSize(call, channelName);
        WorkerBound.ChannelReply r = open(call).join();
        return switch (r.outcome()) {
          case WorkerBound.ChannelReply.TRUE -> true;
          case WorkerBound.ChannelReply.FALSE -> false;
          default -> throw failure(r, channelName);
        };
      } finally {
        permits.release();
      }
    }

    private byte[] encodeElement(ChannelCase c) {
      try {
        return codec.encode(c.element());
      } catch (NotSerializableException e) {
        throw new IllegalArgumentException("an element sent to channel '" + c.channelName() + "' from a worker process must be"
            + " serializable: it is, or holds, an object of class " + e.getMessage(), e);
      } catch (IOException e) {
        throw new IllegalArgumentException("an element cannot be sent to channel '" + c.channelName() + "' from a worker process: "
            + e.getMessage(), e);
      }
    }

    private void checkSize(EngineBound.ChannelCall call, String channel) {
      if (call.payloadLength() > maxFrame) {
        throw new IllegalArgumentException("an operation on channel '" + channel + "' from a worker process carries "
            + call.payloadLength() + " bytes, beyond the limit of " + maxFrame + " that gearbox.process.max-payload sets");
      }
    }

    private CompletableFuture<WorkerBound.ChannelReply> open(EngineBound.ChannelCall call) {
      CompletableFuture<WorkerBound.ChannelReply> f = new CompletableFuture<>();
      calls.put(call.call(), f);
      if (gone != null && calls.remove(call.call()) != null) {
        f.complete(goneReply(call.call()));
        return f;
      }
      beforeWaiting.run(); // every call is waited for
      write(call);
      return f;
    }

    /** Withdraws a waiting call and waits for its one answer (NONE if the withdrawal won). */
    private WorkerBound.ChannelReply withdraw(EngineBound.ChannelCall call, CompletableFuture<WorkerBound.ChannelReply> answer) {
      if (!answer.isDone()) {
        write(new EngineBound.ChannelWithdraw(wire, call.call()));
      }
      return answer.join();
    }

    private void acknowledge(EngineBound.ChannelCall call) {
      write(new EngineBound.ChannelAck(wire, call.call()));
    }

    private void write(EngineBound frame) {
      try {
        sink.send(frame);
      } catch (IOException e) {
        WorkerLoop.channelLost(e); // the engine is gone: this JVM exits
      }
    }
  }

  private Throwable cause(WorkerBound.ChannelReply r) {
    try {
      return codec.decodeFailure(r.bytes(), r.offset());
    } catch (IOException | RuntimeException e) {
      return new IllegalStateException("the channel was poisoned with a cause that cannot be decoded here: " + e);
    }
  }

  private static RuntimeException failure(WorkerBound.ChannelReply r, String channel) {
    String message = new String(r.bytes(), r.offset(), r.bytes().length - r.offset(), StandardCharsets.UTF_8);
    return new IllegalStateException("channel '" + channel + "': " + message
        + (r.outcome() == ENGINE_GONE ? " (whether the operation was performed is unknown)" : ""));
  }
}
