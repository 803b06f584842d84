package dev.gearbox.cluster;

import dev.gearbox.spi.ChannelCase;
import dev.gearbox.spi.ChannelHost;
import dev.gearbox.spi.ChannelOutcome;
import dev.gearbox.spi.remote.SerialCodec;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The channels of a task that an isolated member runs in a worker process for an engine in another
 * JVM: the member's process pool performs the worker's channel calls here, and this host forwards
 * each to the engine as a {@link ChannelCall} of the task's {@link MemberChannels.TaskRoute},
 * handing the engine's reply to the pool's listener. Elements pass through as the worker and the
 * engine encoded them; the member decodes only a poison's cause.
 *
 * <p>An error the engine answers (or its leaving the cluster, checked as for the member's own
 * calls) fails the worker's operation with its message. Listeners run on a virtual thread, never on
 * the control executor that delivers the reply.
 *
 * <p>A withdrawal is asynchronous: {@link Call#withdraw} publishes it and returns false, and the
 * engine's one reply (nothing, if the withdrawal won) reaches the listener. A received element's
 * acknowledgement is forwarded as the worker sends it; if the worker dies first, the element goes
 * back to the head of its channel ({@link ChannelCall#RETURN}), and the thread handling the death
 * waits for the engine to confirm, so that the task's failure is reported after it. A close, poison or closed-query
 * waits for the engine's answer in the thread that asks (the pool's reader of that worker).
 *
 * <p>Thread-safety: as {@link ChannelHost}; replies arrive on the member's control executor.
 */
final class ForwardedChannels extends ChannelHost {
  /** Runs each reply's listener on its own virtual thread. */
  private static final Executor REPLIES = r -> Thread.ofVirtual().name("gearbox-forwarded-reply").start(r);
  private final MemberChannels.TaskRoute route;
  private final SerialCodec codec;

  ForwardedChannels(MemberChannels.TaskRoute route, SerialCodec codec) {
    this.route = route;
    this.codec = codec;
  }

  @Override
  public String home() {
    return ChannelHost.local().home();
  }

  /** Elements reach the worker as the engine encoded them; anything else is encoded as this JVM would. */
  @Override
  public <T> T carrying(Callable<T> encode, Consumer<Object> pins) throws IOException {
    return ChannelHost.local().carrying(encode, pins);
  }

  /** The engine pins the channels its attempt reaches; nothing to hold here. */
  @Override
  public Object pin(String channelId, String channelName) {
    return channelId;
  }

  @Override
  public Call start(ChannelCase[] cases, int start, boolean mayWait, Listener listener) {
    MemberChannels.Cases wire = MemberChannels.Cases.of(cases, c -> bytesOf((Encoded) c.element()));
    MemberChannels.TaskRoute.Published call = route.publish(ChannelCall.CALL, mayWait, start, wire);
    // Not on the control executor that completes the reply: the listener may give an element back, which waits for a reply
    // that runs there.
    call.reply().thenAcceptAsync(r -> completed(call.id(), r, listener), REPLIES);
    route.watch(call); // fails it if the engine leaves the cluster
    return () -> {
      if (!call.reply().isDone()) {
        route.publishAbout(call.id(), ChannelCall.WITHDRAW, null); // its reply goes to the listener
      }
      return false;
    };
  }

  private void completed(long call, ChannelReply r, Listener listener) {
    switch (r.outcome) {
      case ChannelReply.RECEIVED -> {
        byte[] bytes;
        try {
          bytes = route.open(r);
        } catch (GeneralSecurityException e) {
          bytes = null;
        }
        if (bytes == null) {
          route.publishAbout(call, ChannelCall.ACK, new CompletableFuture<>()); // unreadable here: lost
          listener.completed(null, null);
          return;
        }
        listener.completed(ChannelOutcome.received(r.index, new Encoded(bytes, 0, codec)), new Delivery() {
          @Override
          public void acknowledged() {
            route.publishAbout(call, ChannelCall.ACK, new CompletableFuture<>());
          }

          /** Waits until the engine has it back: the worker's death is reported after that. */
          @Override
          public void returned() {
            route.giveBack(call);
          }
        });
      }
      case ChannelReply.SENT -> listener.completed(ChannelOutcome.sent(r.index), null);
      case ChannelReply.ENDED -> listener.completed(ChannelOutcome.ended(r.index), null);
      case ChannelReply.SEND_REFUSED -> listener.completed(ChannelOutcome.sendRefused(r.index), null);
      case ChannelReply.POISONED -> listener.completed(ChannelOutcome.poisoned(r.index, route.cause(r)), null);
      case ChannelReply.NONE -> listener.completed(null, null); // withdrawn, or nothing was ready
      default -> listener.failed(route.text(r)); // refused by the engine (the attempt ended, ...), or the engine left
    }
  }

  @Override
  public boolean control(String channelId, String channelName, Control what, Throwable cause) {
    ChannelReply r = switch (what) {
      case CLOSE -> route.controlReply(ChannelCall.CLOSE, channelId, channelName, new byte[0]);
      case POISON -> route.controlReply(ChannelCall.POISON, channelId, channelName, encodeCause(channelName, cause));
      case IS_CLOSED -> route.controlReply(ChannelCall.IS_CLOSED, channelId, channelName, new byte[0]);
    };
    return switch (r.outcome) {
      case ChannelReply.TRUE -> true;
      case ChannelReply.FALSE -> false;
      default -> throw new IllegalArgumentException("channel '" + channelName + "': " + route.text(r));
    };
  }

  private byte[] encodeCause(String channel, Throwable cause) {
    try {
      return codec.encodeFailure(new byte[0], cause);
    } catch (IOException e) {
      throw new IllegalArgumentException("the cause of poisoning channel '" + channel + "' cannot be sent to the engine: " + e, e);
    }
  }

  private static byte[] bytesOf(Encoded e) {
    return e.offset() == 0 ? e.bytes() : Arrays.copyOfRange(e.bytes(), e.offset(), e.bytes().length);
  }
}
