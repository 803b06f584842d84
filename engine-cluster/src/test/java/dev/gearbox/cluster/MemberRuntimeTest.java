package dev.gearbox.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gearbox.spi.Work;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The member side alone, without a cluster: cancels that overtake their task, and every envelope's authentication. */
class MemberRuntimeTest {
  private static final AtomicInteger RUNS = new AtomicInteger();
  private static final String OWNER = "engine-1";
  private static final Seal SEAL = Seal.withSecret("the deployment secret of this test");
  private static final Seal OTHER = Seal.withSecret("another deployment's secret, same length");

  private static RemoteTask task(Seal seal, boolean encrypt, long wireId) throws Exception {
    Work counts = ctx -> RUNS.incrementAndGet();
    return new RemoteTask(seal, encrypt, OWNER, wireId, wireId, "task-" + wireId, 1, ClusterConfig.defaultCodec().encode(counts));
  }

  private static MemberRuntime runtime() {
    return new MemberRuntime(ClusterConfig.defaultCodec(), SEAL, new ReplayGuard(Duration.ofMinutes(2)), null);
  }

  /** The tag of an answer the engine opened, as the engine opens it. */
  private static byte tagOf(byte[] answer, long wireId) throws GeneralSecurityException {
    Answers.Opened o = Answers.open(SEAL, OWNER, wireId, 1, answer);
    return o.data()[o.offset()];
  }

  @Test
  void aTaskWhoseCancelWithoutInterruptArrivedFirst_neverStarts() throws Exception {
    MemberRuntime runtime = runtime();
    int before = RUNS.get();
    runtime.cancel(new CancelRequest(SEAL, OWNER, 7, false), null);
    byte[] outcome = runtime.run(task(SEAL, false, 7), null);
    assertThat(tagOf(outcome, 7)).isEqualTo(MemberRuntime.CANCELLED);
    assertThat(RUNS.get()).isEqualTo(before);
    assertThat(runtime.registered()).as("the tombstone is gone").isZero();
  }

  @Test
  void aTaskWhoseCancelWithInterruptArrivedFirst_neverStarts() throws Exception {
    MemberRuntime runtime = runtime();
    int before = RUNS.get();
    runtime.cancel(new CancelRequest(SEAL, OWNER, 8, true), null);
    assertThat(tagOf(runtime.run(task(SEAL, false, 8), null), 8)).isEqualTo(MemberRuntime.CANCELLED);
    assertThat(RUNS.get()).isEqualTo(before);
  }

  @Test
  void aTaskNotCancelled_runs_andItsAnswerOpensOnlyForItsOwnAttempt() throws Exception {
    MemberRuntime runtime = runtime();
    int before = RUNS.get();
    byte[] answer = runtime.run(task(SEAL, false, 9), null);
    assertThat(tagOf(answer, 9)).isEqualTo(MemberRuntime.OK);
    assertThat(RUNS.get()).isEqualTo(before + 1);
    assertThat(runtime.registered()).isZero();
    assertThatThrownBy(() -> Answers.open(SEAL, OWNER, 10, 1, answer)).as("another wire id").isInstanceOf(GeneralSecurityException.class);
    assertThatThrownBy(() -> Answers.open(SEAL, OWNER, 9, 2, answer)).as("another attempt").isInstanceOf(GeneralSecurityException.class);
    assertThatThrownBy(() -> Answers.open(SEAL, "engine-2", 9, 1, answer)).as("another engine").isInstanceOf(GeneralSecurityException.class);
    assertThatThrownBy(() -> Answers.open(OTHER, OWNER, 9, 1, answer)).as("another secret").isInstanceOf(GeneralSecurityException.class);
    byte[] altered = answer.clone();
    altered[altered.length - 1] ^= 1;
    assertThatThrownBy(() -> Answers.open(SEAL, OWNER, 9, 1, altered)).as("altered").isInstanceOf(GeneralSecurityException.class);
  }

  @Test
  void anEncryptedTask_runs_andItsAnswerIsEncryptedToo() throws Exception {
    MemberRuntime runtime = runtime();
    int before = RUNS.get();
    RemoteTask t = task(SEAL, true, 11);
    assertThat(new String(t.work, java.nio.charset.StandardCharsets.ISO_8859_1)).as("the task's class name is not in clear")
        .doesNotContain(MemberRuntimeTest.class.getSimpleName());
    assertThat(new String(task(SEAL, false, 11).work, java.nio.charset.StandardCharsets.ISO_8859_1)).as("it is without encryption")
        .contains(MemberRuntimeTest.class.getSimpleName());
    byte[] answer = runtime.run(t, null);
    assertThat(answer[0]).isEqualTo(Answers.ENCRYPTED);
    assertThat(tagOf(answer, 11)).isEqualTo(MemberRuntime.OK);
    assertThat(RUNS.get()).isEqualTo(before + 1);
  }

  @Test
  void aTaskSealedWithAnotherSecret_isRefusedBeforeItIsDecoded() throws Exception {
    MemberRuntime runtime = runtime();
    int before = RUNS.get();
    byte[] answer = runtime.run(task(OTHER, false, 12), null);
    assertThat(Answers.refusalOf(answer)).contains("failed authentication").contains("gearbox.cluster.secret");
    assertThat(RUNS.get()).isEqualTo(before);
  }

  @Test
  void aTaskAlteredOnTheWay_isRefused() throws Exception {
    RemoteTask t = task(SEAL, false, 13);
    t.taskName = "renamed";
    assertThat(Answers.refusalOf(runtime().run(t, null))).contains("failed authentication");
    RemoteTask u = task(SEAL, false, 14);
    u.attempt = 2;
    assertThat(Answers.refusalOf(runtime().run(u, null))).contains("failed authentication");
  }

  @Test
  void aReplayedTask_isRefused_andRunsOnce() throws Exception {
    MemberRuntime runtime = runtime();
    int before = RUNS.get();
    RemoteTask t = task(SEAL, false, 15);
    assertThat(tagOf(runtime.run(t, null), 15)).isEqualTo(MemberRuntime.OK);
    assertThat(Answers.refusalOf(runtime.run(t, null))).contains("replay");
    assertThat(RUNS.get()).isEqualTo(before + 1);
  }

  @Test
  void aDurableTaskThatHazelcastRunsAgain_runsAgain_butNotOutsideTheWindow() throws Exception {
    MemberRuntime runtime = runtime();
    int before = RUNS.get();
    Work counts = ctx -> RUNS.incrementAndGet();
    RemoteTask t = new RemoteTask(SEAL, false, true, false, null, null, OWNER, 21, 21, "durable", 1, ClusterConfig.defaultCodec().encode(counts));
    assertThat(tagOf(runtime.run(t, null), 21)).isEqualTo(MemberRuntime.OK);
    assertThat(tagOf(runtime.run(t, null), 21)).as("at least once: run again").isEqualTo(MemberRuntime.OK);
    assertThat(RUNS.get()).isEqualTo(before + 2);
    t.durable = false;
    assertThat(Answers.refusalOf(runtime.run(t, null))).as("the flag is sealed").contains("failed authentication");
    t.durable = true;
    t.sentAt -= Duration.ofMinutes(3).toMillis();
    t.mac = t.macWith(SEAL);
    assertThat(Answers.refusalOf(runtime.run(t, null))).contains("gearbox.cluster.replay-window");
  }

  @Test
  void aTaskThatWaitedLongInTheQueue_isNotStale_theWindowCountsToItsArrival() throws Exception {
    RemoteTask t = task(SEAL, false, 22);
    t.sentAt -= Duration.ofMinutes(3).toMillis();
    t.mac = t.macWith(SEAL);
    t.arrivedAt = t.sentAt + 50; // it came at once, then waited 3 minutes in the member's queue behind long tasks
    assertThat(tagOf(runtime().run(t, null), 22)).isEqualTo(MemberRuntime.OK);
  }

  @Test
  void aTaskSealedLongAgo_isRefusedNamingTheWindow() throws Exception {
    RemoteTask t = task(SEAL, false, 16);
    t.sentAt -= Duration.ofMinutes(3).toMillis();
    t.mac = t.macWith(SEAL); // authentic, but old: a recording played back later
    assertThat(Answers.refusalOf(runtime().run(t, null))).contains("gearbox.cluster.replay-window").contains("ago");
  }

  @Test
  void aMemberWithoutSecret_refusesEverything() throws Exception {
    MemberRuntime bare = new MemberRuntime(ClusterConfig.defaultCodec(), null, null, null);
    assertThat(Answers.refusalOf(bare.run(task(SEAL, false, 17), null))).contains("holds no deployment secret");
  }

  @Test
  void aCancelSealedWithAnotherSecret_orReplayed_isIgnored() throws Exception {
    MemberRuntime runtime = runtime();
    runtime.cancel(new CancelRequest(OTHER, OWNER, 18, false), null);
    assertThat(runtime.registered()).as("no tombstone from a forged cancel").isZero();
    CancelRequest real = new CancelRequest(SEAL, OWNER, 19, false);
    runtime.cancel(real, null);
    assertThat(runtime.registered()).isOne();
    int before = RUNS.get();
    assertThat(tagOf(runtime.run(task(SEAL, false, 19), null), 19)).isEqualTo(MemberRuntime.CANCELLED);
    runtime.cancel(real, null); // the same request again: a replay leaves no tombstone for a later task
    assertThat(runtime.registered()).isZero();
    assertThat(RUNS.get()).isEqualTo(before);
  }

  @Test
  void proofsAndProgress_bindTheirEngineAndKind() {
    byte[] challenge = Seal.randomBytes(ProofRequest.CHALLENGE_BYTES);
    java.util.UUID member = java.util.UUID.randomUUID();
    byte[] proof = ProofRequest.proof(SEAL, OWNER, challenge, member);
    assertThat(Seal.matches(ProofRequest.proof(SEAL, OWNER, challenge, member), proof)).isTrue();
    assertThat(Seal.matches(ProofRequest.proof(OTHER, OWNER, challenge, member), proof)).isFalse();
    assertThat(Seal.matches(ProofRequest.proof(SEAL, OWNER, challenge, java.util.UUID.randomUUID()), proof)).isFalse();
    ProgressReport p = new ProgressReport(SEAL, OWNER, 20, 1, 0.5, "half");
    assertThat(Seal.matches(p.macWith(SEAL, OWNER), p.mac)).isTrue();
    assertThat(Seal.matches(p.macWith(SEAL, "engine-2"), p.mac)).isFalse();
    p.fraction = 0.9;
    assertThat(Seal.matches(p.macWith(SEAL, OWNER), p.mac)).isFalse();
  }

  @Test
  void theSecret_isNeverShown() {
    String secret = "the deployment secret of this test";
    assertThat(SEAL.toString()).doesNotContain(secret);
    ClusterConfig config = ClusterConfig.parse(new dev.gearbox.spi.remote.MapSettings("e", 1, Duration.ofSeconds(1),
        java.util.Map.of(ClusterConfig.MODE, "client", ClusterConfig.SECRET, secret)));
    assertThat(config.toString()).doesNotContain(secret);
    dev.gearbox.EngineConfig engine = dev.gearbox.EngineConfig.newBuilder().backend("cluster").option(ClusterConfig.SECRET, secret).build();
    assertThat(engine.toString()).doesNotContain(secret).contains("gearbox.cluster.secret");
  }

  @Test
  void theReplayGuard_forgetsEnvelopesOnlyOnceTheyCannotComeAgain() {
    ReplayGuard guard = new ReplayGuard(Duration.ofSeconds(60));
    byte[] mac = Seal.randomBytes(Seal.MAC_BYTES);
    long t0 = 1_000_000_000L;
    assertThat(guard.check(t0, mac, t0)).isNull();
    assertThat(guard.check(t0, mac, t0 + 59_000)).contains("replay");
    assertThat(guard.check(t0, mac, t0 + 61_000)).as("outside the window").contains("ago");
    for (int i = 0; i < 10_000; i++) {
      assertThat(guard.check(t0 + 200_000, Seal.randomBytes(Seal.MAC_BYTES), t0 + 200_000)).isNull();
    }
    assertThat(guard.remembered()).as("the first bucket dropped after twice the window").isEqualTo(10_000);
    assertThat(guard.check(t0 + 400_000, mac, t0 + 400_000)).isNull();
  }

  @Test
  void aChannelReplySealedWithAnotherSecret_isRefusedAndCounted_andACopyOfAnOldOne_isDroppedQuietly() {
    Refusals refusals = new Refusals(new com.codahale.metrics.Counter());
    MemberChannels channels = new MemberChannels(ClusterConfig.defaultCodec(), SEAL, refusals);
    channels.reply(new ChannelReply(OTHER, OWNER, 1, 1, 1, ChannelReply.SENT, 0, false, new byte[0]), null);
    assertThat(refusals.count()).as("forged").isEqualTo(1);
    channels.reply(new ChannelReply(SEAL, OWNER, 1, 1, 1, ChannelReply.SENT, 0, false, new byte[0]), null);
    assertThat(refusals.count()).as("authentic, but no call of this member waits for it").isEqualTo(1);
  }
}
