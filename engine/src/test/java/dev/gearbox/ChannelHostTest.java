package dev.gearbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gearbox.spi.ChannelCase;
import dev.gearbox.spi.ChannelHost;
import dev.gearbox.spi.ChannelOutcome;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The engine side of channels used from other JVMs, without a process: handles written while a
 * backend carries them and resolved back here, operations started for a remote task that never
 * block the caller, deliveries acknowledged or given back, and withdrawal.
 */
class ChannelHostTest extends ThreadedTest {
  private final ChannelHost host = ChannelHost.local();

  /** The last outcome a remote operation heard, with its delivery. */
  private static final class Heard implements ChannelHost.Listener {
    final List<ChannelOutcome> outcomes = new ArrayList<>();
    ChannelHost.Delivery delivery;

    @Override
    public synchronized void completed(ChannelOutcome outcome, ChannelHost.Delivery d) {
      outcomes.add(outcome);
      delivery = d;
    }

    synchronized ChannelOutcome last() {
      return outcomes.isEmpty() ? null : outcomes.get(outcomes.size() - 1);
    }
  }

  private static ChannelCase receive(Channel<?> ch) {
    return ch.remoteCase(false, null);
  }

  private static ChannelCase send(Channel<?> ch, Object element) {
    return ch.remoteCase(true, element);
  }

  private <T> Channel<T> roundTrip(Channel<T> ch) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    host.carrying(() -> {
      try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
        out.writeObject(ch);
      }
      return null;
    }, pinned -> { });
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      @SuppressWarnings("unchecked")
      Channel<T> back = (Channel<T>) in.readObject();
      return back;
    }
  }

  @Test
  void aHandleWrittenByABackendThatCarriesIt_resolvesBackHereToTheSameBuffer() throws Exception {
    Channel<String> ch = Channel.bounded("here", 2);
    Channel<String> back = roundTrip(ch);
    back.send("via the copy");
    assertThat(ch.tryReceive()).contains("via the copy");
    back.close();
    assertThat(ch.isClosed()).isTrue();
  }

  @Test
  void aRemoteReceive_thatCannotCompleteNow_doesNotBlock_andIsAnsweredByTheSender() throws Exception {
    Channel<String> ch = Channel.rendezvous("meet");
    roundTrip(ch); // registers it
    Heard heard = new Heard();
    ChannelHost.Call call = host.start(new ChannelCase[] {receive(ch)}, 0, true, heard);
    assertThat(heard.last()).isNull();
    assertThat(ch.trySend("x")).as("the remote receiver waits on the channel").isTrue();
    assertThat(heard.last().kind()).isEqualTo(ChannelOutcome.Kind.RECEIVED);
    assertThat(heard.last().value()).isEqualTo("x");
    assertThat(call.withdraw()).as("completed already").isFalse();
    heard.delivery.acknowledged();
  }

  @Test
  void anElementGivenBack_isTheNextReceived_evenPastTheCapacity() throws Exception {
    Channel<Integer> ch = Channel.bounded("back", 1);
    roundTrip(ch);
    ch.send(1);
    Heard heard = new Heard();
    host.start(new ChannelCase[] {receive(ch)}, 0, false, heard);
    assertThat(heard.last().value()).isEqualTo(1);
    ch.send(2); // fills the buffer
    heard.delivery.returned(); // the worker died before it had the element
    assertThat(ch.tryReceive()).contains(1);
    assertThat(ch.tryReceive()).contains(2);
  }

  /** A closed channel whose one element, 7, a remote receive has taken: it is in delivery. */
  private Heard closedWithSevenInDelivery(Channel<Integer> ch) throws Exception {
    roundTrip(ch);
    ch.send(7);
    ch.close();
    Heard heard = new Heard();
    host.start(new ChannelCase[] {receive(ch)}, 0, false, heard);
    assertThat(heard.last().value()).isEqualTo(7);
    return heard;
  }

  @Test
  void aClosedChannel_isNotDrainedWhileAnElementIsInDelivery() throws Exception {
    Channel<Integer> ch = Channel.bounded("draining", 1);
    Heard heard = closedWithSevenInDelivery(ch);
    assertThat(ch.tryReceive()).as("not ended: the element may come back").isEqualTo(Optional.empty());
    Future<Integer> receiver = spawn("receiver", ch::receive);
    awaitBlocked(lastThread());
    heard.delivery.returned();
    assertThat(receiver.get()).isEqualTo(7);
    assertThatThrownBy(ch::receive).isInstanceOf(ChannelClosedException.class);
  }

  @Test
  void aClosedChannel_endsItsWaitingReceivers_whenTheLastDeliveryIsAcknowledged() throws Exception {
    Channel<Integer> ch = Channel.bounded("acked", 1);
    Heard first = closedWithSevenInDelivery(ch);
    Heard second = new Heard();
    host.start(new ChannelCase[] {receive(ch)}, 0, true, second);
    assertThat(second.last()).isNull();
    first.delivery.acknowledged();
    assertThat(second.last().kind()).isEqualTo(ChannelOutcome.Kind.ENDED);
  }

  @Test
  void aWithdrawnRemoteSend_neverEntersTheChannel() throws Exception {
    Channel<String> ch = Channel.rendezvous("withdrawn");
    roundTrip(ch);
    Heard heard = new Heard();
    ChannelHost.Call call = host.start(new ChannelCase[] {send(ch, "lost?")}, 0, true, heard);
    assertThat(call.withdraw()).isTrue();
    assertThat(ch.tryReceive()).isEmpty();
    assertThat(heard.last()).isNull();
  }

  @Test
  void aRemoteSelect_isClaimedByOneCaseOnly_andLeavesNoWaiterBehind() throws Exception {
    Channel<String> a = Channel.rendezvous("a");
    Channel<String> b = Channel.rendezvous("b");
    roundTrip(a);
    roundTrip(b);
    Heard heard = new Heard();
    host.start(new ChannelCase[] {receive(a), receive(b)}, 0, true, heard);
    assertThat(a.trySend("1")).isTrue();
    assertThat(b.trySend("2")).as("the select took one case; its waiter on b is gone").isFalse();
    assertThat(heard.outcomes).hasSize(1);
    heard.delivery.acknowledged();
  }

  @Test
  void poison_reachesARemoteWaiter() throws Exception {
    Channel<String> ch = Channel.rendezvous("poisoned");
    roundTrip(ch);
    Heard heard = new Heard();
    host.start(new ChannelCase[] {receive(ch)}, 0, true, heard);
    IllegalStateException cause = new IllegalStateException("source failed");
    ch.poison(cause);
    assertThat(heard.last().kind()).isEqualTo(ChannelOutcome.Kind.POISONED);
    assertThat(heard.last().poison()).isSameAs(cause);
  }

  @Test
  void anUnknownChannel_isRefusedNamingIt() {
    AtomicReference<ChannelOutcome> none = new AtomicReference<>();
    assertThatThrownBy(() -> host.start(new ChannelCase[] {new ChannelCase(false, "no-such-id", "ghost", null)}, 0, true,
        (o, d) -> none.set(o))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'ghost'");
  }
}
