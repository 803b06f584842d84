package dev.gearbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** {@link Select} on its own, without an engine. */
class SelectTest extends ThreadedTest {
  static Channel<Integer> filled(String name, int n) throws InterruptedException {
    Channel<Integer> ch = Channel.bounded(name, n);
    for (int i = 0; i < n; i++) {
      ch.send(i);
    }
    return ch;
  }

  @Test
  void select_receivesFromTheReadyCase_only() throws Exception {
    Channel<Integer> a = Channel.bounded("a", 1);
    Channel<Integer> b = Channel.bounded("b", 1);
    b.send(5);
    String r = Select.<String>create().onReceive(a, x -> "a" + x).onReceive(b, x -> "b" + x).select();
    assertThat(r).isEqualTo("b5");
    assertThat(a.tryReceive()).isEmpty();
    assertThat(b.tryReceive()).isEmpty();
  }

  @Test
  void select_waitsUntilACaseIsReady() throws Exception {
    Channel<Integer> a = Channel.rendezvous("a");
    Channel<Integer> b = Channel.rendezvous("b");
    Future<String> selecting = spawn("selecting",
        () -> Select.<String>create().onReceive(a, x -> "a" + x).onReceive(b, x -> "b" + x).select());
    awaitBlocked(lastThread());
    assertThat(selecting).isNotDone();
    b.send(3);
    assertThat(get(selecting)).isEqualTo("b3");
    assertThat(a.trySend(1)).as("the select left no waiter on the other channel").isFalse();
  }

  @Test
  void select_sendCase_handsItsElementToAWaitingReceiver() throws Exception {
    Channel<String> out = Channel.rendezvous("out");
    Channel<String> in = Channel.rendezvous("in");
    Future<String> receiver = spawn("receiver", out::receive);
    awaitBlocked(lastThread());
    String r = Select.<String>create().onReceive(in, x -> "received").onSend(out, "payload", () -> "sent").select();
    assertThat(r).isEqualTo("sent");
    assertThat(get(receiver)).isEqualTo("payload");
  }

  @Test
  void select_isFairAmongReadyCases() throws Exception {
    int rounds = 6_000;
    Channel<Integer> a = filled("a", rounds);
    Channel<Integer> b = filled("b", rounds);
    Channel<Integer> c = filled("c", rounds);
    int[] counts = new int[3];
    Select<Integer> select = Select.<Integer>create().onReceive(a, x -> 0).onReceive(b, x -> 1).onReceive(c, x -> 2);
    for (int i = 0; i < rounds; i++) {
      counts[select.select()]++;
    }
    // Each is chosen with probability 1/3: 2000 expected, standard deviation about 37.
    for (int n : counts) {
      assertThat(n).as("choices per case %s", java.util.Arrays.toString(counts)).isBetween(1_700, 2_300);
    }
  }

  @Test
  void select_default_runsAtOnceWhenNothingIsReady_andConsumesNothing() throws Exception {
    Channel<Integer> a = Channel.rendezvous("a");
    Channel<Integer> full = filled("full", 1);
    String r = Select.<String>create().onReceive(a, x -> "a").onSend(full, 9, () -> "sent").onDefault(() -> "nothing").select();
    assertThat(r).isEqualTo("nothing");
    assertThat(full.tryReceive()).contains(0);
    assertThat(full.tryReceive()).isEmpty();
  }

  @Test
  void select_timeout_runsWhenNothingBecomesReadyInTime_andLeavesNoWaiter() throws Exception {
    Channel<Integer> a = Channel.rendezvous("a");
    Channel<Integer> b = Channel.rendezvous("b");
    String r = Select.<String>create().onReceive(a, x -> "a").onSend(b, 1, () -> "sent")
        .onTimeout(NOTHING_ARRIVES, () -> "timeout").select();
    assertThat(r).isEqualTo("timeout");
    assertThat(a.trySend(1)).as("no receive waiter left on a").isFalse();
    assertThat(b.tryReceive()).as("no send waiter left on b").isEmpty();
  }

  @Test
  void select_timeoutAlone_waitsThenRunsIt() throws Exception {
    long start = System.nanoTime();
    assertThat(Select.<String>create().onTimeout(NOTHING_ARRIVES, () -> "t").select()).isEqualTo("t");
    assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(NOTHING_ARRIVES.toNanos());
  }

  @Test
  void guards_disableTheirCase() throws Exception {
    Channel<Integer> a = filled("a", 50);
    Channel<Integer> b = filled("b", 50);
    for (int i = 0; i < 50; i++) {
      String r = Select.<String>create().onReceive(a, x -> "a").when(false).onReceive(b, x -> "b").when(true).select();
      assertThat(r).isEqualTo("b");
    }
    assertThat(a.tryReceive()).contains(0);
    String r = Select.<String>create().onReceive(a, x -> "a").when(false).onDefault(() -> "default").select();
    assertThat(r).isEqualTo("default");
    assertThat(Select.<String>create().onReceive(a, x -> "a").onDefault(() -> "default").when(false).select())
        .as("a guarded-off default lets the select wait for the ready case").isEqualTo("a");
  }

  @Test
  void select_withNothingEnabled_failsInsteadOfWaitingForEver() {
    Channel<Integer> a = Channel.rendezvous("a");
    assertThatThrownBy(() -> Select.<String>create().onReceive(a, x -> "a").when(false).select())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("wait for ever");
    assertThatThrownBy(() -> Select.<String>create().when(true)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> Select.<String>create().onDefault(() -> "d").onTimeout(NOTHING_ARRIVES, () -> "t"))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> Select.<String>create().onSend(a, null, () -> "s"))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("'a'");
  }

  @Test
  void closedChannel_receiveCaseRunsOnClosed_orTheSelectThrows() throws Exception {
    Channel<Integer> a = Channel.rendezvous("a");
    a.close();
    Channel<Integer> idle = Channel.rendezvous("idle");
    assertThat(Select.<String>create().onReceive(a, x -> "v", () -> "closed").onReceive(idle, x -> "idle").select())
        .isEqualTo("closed");
    assertThatThrownBy(() -> Select.<String>create().onReceive(a, x -> "v").select())
        .isInstanceOf(ChannelClosedException.class).hasMessageContaining("'a'");
    assertThatThrownBy(() -> Select.<String>create().onSend(a, 1, () -> "sent").select())
        .isInstanceOf(ChannelClosedException.class).hasMessageContaining("send refused");
  }

  @Test
  void poison_wakesABlockedSelect_withTheCause() throws Exception {
    Channel<Integer> a = Channel.rendezvous("a");
    Channel<Integer> b = Channel.rendezvous("b");
    Future<String> selecting = spawn("selecting",
        () -> Select.<String>create().onReceive(a, x -> "a").onSend(b, 1, () -> "b").select());
    awaitBlocked(lastThread());
    RuntimeException cause = new RuntimeException("poisoned upstream");
    b.poison(cause);
    assertThat(failureOf(selecting)).isInstanceOf(ChannelPoisonedException.class).hasCause(cause).hasMessageContaining("'b'");
    assertThat(a.trySend(1)).as("the select left no waiter on a").isFalse();
  }

  @Test
  void interrupt_blockedSelect_throwsInterruptedException_andPerformsNoCase() throws Exception {
    Channel<Integer> a = Channel.rendezvous("a");
    Channel<Integer> b = Channel.rendezvous("b");
    Future<String> selecting = spawn("selecting",
        () -> Select.<String>create().onReceive(a, x -> "a").onSend(b, 1, () -> "b").select());
    Thread t = lastThread();
    awaitBlocked(t);
    t.interrupt();
    assertThat(failureOf(selecting)).isInstanceOf(InterruptedException.class);
    assertThat(a.trySend(1)).isFalse();
    assertThat(b.tryReceive()).isEmpty();
  }

  /**
   * Selects on both sides race over two rendezvous channels: senders offer each element to either
   * channel, receivers take from either. Each element must arrive exactly once; a select that
   * committed on two cases would duplicate or lose one.
   */
  @RepeatedTest(3)
  void racingSelects_commitExactlyOneCaseEach() throws Exception {
    Channel<Integer> a = Channel.rendezvous("a");
    Channel<Integer> b = Channel.rendezvous("b");
    int senders = 3;
    int each = 3_000;
    List<Future<Object>> sent = new ArrayList<>();
    for (int s = 0; s < senders; s++) {
      int base = s * each;
      boolean plain = s == 2; // one sender uses plain sends, alternating channels
      sent.add(spawn("sender-" + s, () -> {
        for (int i = 0; i < each; i++) {
          Integer e = base + i;
          if (plain) {
            (i % 2 == 0 ? a : b).send(e);
          } else {
            Select.<Object>create().onSend(a, e, () -> null).onSend(b, e, () -> null).select();
          }
        }
        return null;
      }));
    }
    ConcurrentLinkedQueue<Integer> received = new ConcurrentLinkedQueue<>();
    Channel<Integer> stop = Channel.rendezvous("stop");
    List<Future<Object>> receivers = new ArrayList<>();
    for (int r = 0; r < 3; r++) {
      receivers.add(spawn("receiver-" + r, () -> {
        while (Select.<Boolean>create()
            .onReceive(a, x -> received.add(x))
            .onReceive(b, x -> received.add(x))
            .onReceive(stop, x -> false, () -> false)
            .select()) {
          // keep receiving
        }
        return null;
      }));
    }
    for (Future<Object> f : sent) {
      get(f);
    }
    stop.close();
    for (Future<Object> f : receivers) {
      get(f);
    }
    assertEachOnce(received, senders * each);
  }

  @Test
  void aSelectThatTimesOut_whileACounterpartArrives_eitherTakesTheElementOrLeavesIt() throws Exception {
    // Many short timed selects against a sender: every element is received exactly once.
    Channel<Integer> ch = Channel.rendezvous("edge");
    int n = 2_000;
    Future<Object> sender = spawn("sender", () -> {
      for (int i = 0; i < n; i++) {
        ch.send(i);
      }
      return null;
    });
    List<Integer> got = new ArrayList<>();
    while (got.size() < n) {
      Integer x = Select.<Integer>create().onReceive(ch, v -> v).onTimeout(Duration.ofNanos(20_000), () -> null).select();
      if (x != null) {
        got.add(x);
      }
    }
    get(sender);
    for (int i = 0; i < n; i++) {
      assertThat(got.get(i)).isEqualTo(i);
    }
  }
}
