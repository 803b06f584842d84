package dev.gearbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.InvalidClassException;
import java.io.ObjectOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The semantics of {@link Channel} on its own, without an engine. */
class ChannelTest extends ThreadedTest {
  // ---------------------------------------------------------------- creation and bad input

  @Test
  void factories_refuseBadNamesAndCapacities_namingWhatWasWrong() {
    assertThatThrownBy(() -> Channel.rendezvous(null)).isInstanceOf(NullPointerException.class).hasMessage("name");
    assertThatThrownBy(() -> Channel.rendezvous(" ")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
    assertThatThrownBy(() -> Channel.bounded("jobs", 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("capacity").hasMessageContaining("'jobs'").hasMessageContaining("rendezvous");
    assertThat(Channel.bounded("jobs", 3).capacity()).isEqualTo(3);
    assertThat(Channel.rendezvous("r").capacity()).isZero();
    assertThat(Channel.rendezvous("r").name()).isEqualTo("r");
  }

  @Test
  void send_null_isRefusedNamingTheChannel() {
    Channel<String> ch = Channel.bounded("names", 1);
    assertThatThrownBy(() -> ch.send(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("'names'");
    assertThatThrownBy(() -> ch.trySend(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("'names'");
  }

  @Test
  void serializing_outsideABackendThatCarriesChannels_isRefusedNamingTheChannel() {
    Channel<String> ch = Channel.rendezvous("local-only");
    assertThatThrownBy(() -> new ObjectOutputStream(new ByteArrayOutputStream()).writeObject(ch))
        .isInstanceOf(InvalidClassException.class).hasMessageContaining("'local-only'").hasMessageContaining("routes it back here (process, cluster)");
  }

  // ---------------------------------------------------------------- rendezvous and bounded

  @Test
  void rendezvous_send_waitsUntilAReceiverHasTakenTheElement() throws Exception {
    Channel<String> ch = Channel.rendezvous("meet");
    assertThat(ch.trySend("x")).as("no receiver waits").isFalse();
    Future<Object> sender = spawn("sender", () -> {
      ch.send("hello");
      return null;
    });
    awaitBlocked(lastThread());
    assertThat(sender).as("send returned without a receiver").isNotDone();
    assertThat(ch.receive()).isEqualTo("hello");
    get(sender);
  }

  @Test
  void rendezvous_receive_waitsForASender() throws Exception {
    Channel<Integer> ch = Channel.rendezvous("meet");
    assertThat(ch.tryReceive()).isEmpty();
    Future<Integer> receiver = spawn("receiver", ch::receive);
    awaitBlocked(lastThread());
    assertThat(ch.trySend(7)).as("a receiver waits").isTrue();
    assertThat(get(receiver)).isEqualTo(7);
  }

  @Test
  void bounded_sendBlocksWhileFull_andResumesWhenAnElementIsTaken() throws Exception {
    Channel<Integer> ch = Channel.bounded("two", 2);
    assertThat(ch.trySend(1)).isTrue();
    assertThat(ch.trySend(2)).isTrue();
    assertThat(ch.trySend(3)).as("full").isFalse();
    Future<Object> sender = spawn("sender", () -> {
      ch.send(3);
      return null;
    });
    awaitBlocked(lastThread());
    assertThat(sender).isNotDone();
    assertThat(ch.receive()).isEqualTo(1);
    get(sender);
    assertThat(List.of(ch.receive(), ch.receive())).containsExactly(2, 3);
  }

  @Test
  void timedCalls_timeOutWithoutSendingOrReceiving() throws Exception {
    Channel<Integer> ch = Channel.rendezvous("quiet");
    assertThat(ch.receive(NOTHING_ARRIVES)).isEmpty();
    assertThat(ch.send(1, NOTHING_ARRIVES)).isFalse();
    // the timed-out send left nothing behind: a receiver finds no element
    assertThat(ch.tryReceive()).isEmpty();
    Channel<Integer> full = Channel.bounded("full", 1);
    full.send(1);
    assertThat(full.send(2, NOTHING_ARRIVES)).isFalse();
    assertThat(full.receive()).isEqualTo(1);
    assertThat(full.tryReceive()).isEmpty();
  }

  // ---------------------------------------------------------------- order, loss, duplication

  @Test
  void elementsOfEachSender_arriveInTheOrderSent_acrossSeveralSenders() throws Exception {
    Channel<long[]> ch = Channel.bounded("fifo", 8);
    int senders = 4;
    int each = 5_000;
    List<Future<Object>> fs = new ArrayList<>();
    for (int s = 0; s < senders; s++) {
      long sender = s;
      fs.add(spawn("sender-" + s, () -> {
        for (long i = 0; i < each; i++) {
          ch.send(new long[] {sender, i});
        }
        return null;
      }));
    }
    long[] next = new long[senders];
    for (int n = 0; n < senders * each; n++) {
      long[] e = ch.receive();
      assertThat(e[1]).as("element of sender %d", e[0]).isEqualTo(next[(int) e[0]]);
      next[(int) e[0]]++;
    }
    for (Future<Object> f : fs) {
      get(f);
    }
    assertThat(next).containsOnly(each);
  }

  @ParameterizedTest(name = "capacity {0}")
  @ValueSource(ints = {0, 1, 16})
  void manySendersAndReceivers_everyElementIsReceivedExactlyOnce(int capacity) throws Exception {
    Channel<Integer> ch = capacity == 0 ? Channel.rendezvous("many") : Channel.bounded("many", capacity);
    int senders = 4;
    int each = 5_000;
    List<Future<Object>> sent = new ArrayList<>();
    for (int s = 0; s < senders; s++) {
      int base = s * each;
      int style = s;
      sent.add(spawn("sender-" + s, () -> {
        for (int i = 0; i < each; i++) {
          Integer e = base + i;
          switch (style % 3) {
            case 0 -> ch.send(e);
            case 1 -> {
              while (!ch.send(e, Duration.ofMillis(1))) {
                Thread.onSpinWait();
              }
            }
            default -> {
              while (!ch.trySend(e)) {
                Thread.onSpinWait();
              }
            }
          }
        }
        return null;
      }));
    }
    ConcurrentLinkedQueue<Integer> received = new ConcurrentLinkedQueue<>();
    List<Future<Object>> receivers = new ArrayList<>();
    for (int r = 0; r < 4; r++) {
      int style = r;
      receivers.add(spawn("receiver-" + r, () -> {
        if (style == 0) {
          for (Integer e : ch) {
            received.add(e);
          }
          return null;
        }
        while (true) {
          try {
            Optional<Integer> e = style == 1 ? ch.receive(Duration.ofMillis(1)) : Optional.of(ch.receive());
            e.ifPresent(received::add);
          } catch (ChannelClosedException end) {
            return null;
          }
        }
      }));
    }
    for (Future<Object> f : sent) {
      get(f);
    }
    ch.close();
    for (Future<Object> f : receivers) {
      get(f);
    }
    assertEachOnce(received, senders * each);
  }

  // ---------------------------------------------------------------- close

  @Test
  void close_receiversDrainWhatWasSent_thenSeeTheEnd() throws Exception {
    Channel<Integer> ch = Channel.bounded("drain", 4);
    ch.send(1);
    ch.send(2);
    ch.close();
    assertThat(ch.isClosed()).isTrue();
    assertThat(ch.receive()).isEqualTo(1);
    assertThat(ch.tryReceive()).contains(2);
    assertThatThrownBy(ch::receive).isInstanceOf(ChannelClosedException.class).hasMessageContaining("'drain'");
    assertThatThrownBy(ch::tryReceive).isInstanceOf(ChannelClosedException.class);
    assertThatThrownBy(() -> ch.receive(NOTHING_ARRIVES)).isInstanceOf(ChannelClosedException.class);
    ch.close(); // idempotent
  }

  @Test
  void close_wakesBlockedReceivers_withTheEnd() throws Exception {
    Channel<Integer> ch = Channel.rendezvous("wake");
    Future<Integer> a = spawn("receiver-a", ch::receive);
    awaitBlocked(lastThread());
    Future<Integer> b = spawn("receiver-b", () -> ch.receive(PROMPTLY).orElse(-1));
    awaitBlocked(lastThread());
    ch.close();
    assertThat(failureOf(a)).isInstanceOf(ChannelClosedException.class);
    assertThat(failureOf(b)).isInstanceOf(ChannelClosedException.class);
  }

  @Test
  void send_afterClose_failsNamingTheChannel() {
    Channel<Integer> ch = Channel.bounded("done", 1);
    ch.close();
    assertThatThrownBy(() -> ch.send(1)).isInstanceOf(ChannelClosedException.class)
        .hasMessageContaining("'done'").hasMessageContaining("send refused");
    assertThatThrownBy(() -> ch.trySend(1)).isInstanceOf(ChannelClosedException.class);
    assertThatThrownBy(() -> ch.send(1, NOTHING_ARRIVES)).isInstanceOf(ChannelClosedException.class);
  }

  @Test
  void close_aSenderAlreadyBlocked_isStillDelivered_thenTheEnd() throws Exception {
    Channel<String> ch = Channel.rendezvous("late");
    Future<Object> sender = spawn("sender", () -> {
      ch.send("in flight");
      return null;
    });
    awaitBlocked(lastThread());
    ch.close();
    assertThat(ch.receive()).isEqualTo("in flight");
    get(sender);
    assertThatThrownBy(ch::receive).isInstanceOf(ChannelClosedException.class);
  }

  @Test
  void iterationAndStream_endAtClose() throws Exception {
    Channel<Integer> ch = Channel.bounded("seq", 8);
    Future<Object> producer = spawn("producer", () -> {
      for (int i = 1; i <= 20; i++) {
        ch.send(i);
      }
      ch.close();
      return null;
    });
    assertThat(ch.stream().mapToInt(Integer::intValue).sum()).isEqualTo(210);
    get(producer);
    Channel<Integer> two = Channel.bounded("two", 2);
    two.send(1);
    two.send(2);
    two.close();
    List<Integer> seen = new ArrayList<>();
    for (int i : two) {
      seen.add(i);
    }
    assertThat(seen).containsExactly(1, 2);
  }

  // ---------------------------------------------------------------- poison

  @Test
  void poison_failsEveryBlockedReceiver_withTheCause() throws Exception {
    Channel<Integer> ch = Channel.rendezvous("p");
    Future<Integer> a = spawn("receiver-a", ch::receive);
    awaitBlocked(lastThread());
    Future<Integer> b = spawn("receiver-b", () -> {
      for (int x : ch) {
        return x;
      }
      return -1;
    });
    awaitBlocked(lastThread());
    IllegalStateException cause = new IllegalStateException("upstream broke");
    ch.poison(cause);
    for (Future<Integer> f : List.of(a, b)) {
      assertThat(failureOf(f)).isInstanceOf(ChannelPoisonedException.class).hasCause(cause).hasMessageContaining("'p'");
    }
  }

  @Test
  void poison_failsEveryBlockedSender_withTheCause() throws Exception {
    Channel<Integer> ch = Channel.bounded("p", 1);
    ch.send(0);
    List<Future<Object>> senders = new ArrayList<>();
    for (int i = 1; i <= 2; i++) {
      int v = i;
      senders.add(spawn("sender-" + i, () -> {
        ch.send(v);
        return null;
      }));
      awaitBlocked(lastThread());
    }
    RuntimeException cause = new RuntimeException("stop");
    ch.poison(cause);
    for (Future<Object> f : senders) {
      assertThat(failureOf(f)).isInstanceOf(ChannelPoisonedException.class).hasCause(cause);
    }
  }

  @Test
  void poison_failsEveryLaterCall_andDropsWhatWasBuffered() {
    Channel<Integer> ch = Channel.bounded("p", 4);
    assertThat(ch.trySend(1)).isTrue();
    Error cause = new Error("fatal");
    ch.poison(cause);
    ch.poison(new Error("second poison is ignored"));
    ch.close();
    assertThat(ch.isClosed()).isTrue();
    assertThatThrownBy(ch::receive).isInstanceOf(ChannelPoisonedException.class).hasCause(cause);
    assertThatThrownBy(ch::tryReceive).isInstanceOf(ChannelPoisonedException.class).hasCause(cause);
    assertThatThrownBy(() -> ch.send(2)).isInstanceOf(ChannelPoisonedException.class).hasCause(cause);
    assertThatThrownBy(() -> ch.trySend(2)).isInstanceOf(ChannelPoisonedException.class).hasCause(cause);
    assertThatThrownBy(() -> ch.iterator().hasNext()).isInstanceOf(ChannelPoisonedException.class).hasCause(cause);
  }

  @Test
  void poison_afterClose_failsTheReceiversThatWouldDrainIt() {
    Channel<Integer> ch = Channel.bounded("p", 4);
    ch.trySend(1);
    ch.close();
    ch.poison(new IllegalStateException("abort"));
    assertThatThrownBy(ch::receive).isInstanceOf(ChannelPoisonedException.class);
  }

  // ---------------------------------------------------------------- interrupts

  @Test
  void interrupt_blockedReceive_throwsInterruptedException_andTakesNothingLater() throws Exception {
    Channel<Integer> ch = Channel.rendezvous("i");
    Future<Integer> receiver = spawn("receiver", ch::receive);
    Thread t = lastThread();
    awaitBlocked(t);
    t.interrupt();
    assertThat(failureOf(receiver)).isInstanceOf(InterruptedException.class);
    assertThat(ch.trySend(1)).as("the interrupted receiver left no waiter behind").isFalse();
  }

  @Test
  void interrupt_blockedSend_throwsInterruptedException_andTheElementIsNotDelivered() throws Exception {
    Channel<Integer> ch = Channel.rendezvous("i");
    Future<Object> sender = spawn("sender", () -> {
      ch.send(1);
      return null;
    });
    Thread t = lastThread();
    awaitBlocked(t);
    t.interrupt();
    assertThat(failureOf(sender)).isInstanceOf(InterruptedException.class);
    assertThat(ch.tryReceive()).isEmpty();
  }

  @Test
  void interrupt_beforeABlockingCall_throwsAtOnce_evenIfItCouldComplete() {
    Channel<Integer> ch = Channel.bounded("i", 1);
    Thread.currentThread().interrupt();
    assertThatThrownBy(() -> ch.send(1)).isInstanceOf(InterruptedException.class);
    assertThat(ch.trySend(1)).as("non-blocking calls ignore the interrupt").isTrue();
    Thread.currentThread().interrupt();
    assertThatThrownBy(ch::receive).isInstanceOf(InterruptedException.class);
    assertThat(ch.tryReceive()).contains(1);
  }

  @Test
  void interrupt_whileIterating_throwsCancellationException_andKeepsTheInterruptStatus() throws Exception {
    Channel<Integer> ch = Channel.rendezvous("i");
    AtomicReference<Boolean> interruptedAfter = new AtomicReference<>();
    Future<Object> iterating = spawn("iterating", () -> {
      try {
        for (int x : ch) {
          return x;
        }
        return null;
      } finally {
        interruptedAfter.set(Thread.currentThread().isInterrupted());
      }
    });
    Thread t = lastThread();
    awaitBlocked(t);
    t.interrupt();
    assertThat(failureOf(iterating)).isInstanceOf(CancellationException.class).hasMessageContaining("'i'");
    assertThat(interruptedAfter.get()).isTrue();
  }
}
