package dev.gearbox.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.core.ExecutionCallback;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.topic.ITopic;
import dev.gearbox.Channel;
import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineConfigException;
import dev.gearbox.Select;
import dev.gearbox.TaskFuture;
import dev.gearbox.spi.Work;
import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment secret against someone on the cluster network who does not hold it: a worker
 * member JVM started with the secret, and in this JVM a raw Hazelcast client or member that
 * knows the cluster's name and address (which are no secret) and speaks Gearbox's envelopes,
 * sealed with a wrong secret or replayed.
 */
class SecureClusterTest {
  private static final String CLUSTER = "gearbox-secure-" + Long.toHexString(System.nanoTime());
  private static final Seal RIGHT = Seal.withSecret(MemberJvm.SECRET);
  private static final Seal WRONG = Seal.withSecret("a guess at the deployment secret");
  private static final Duration ANSWER = Duration.ofSeconds(30);
  /** Counts runs in the member's JVM (this class is loaded there too). */
  static final AtomicInteger RUNS = new AtomicInteger();

  private static MemberJvm member;

  @TempDir
  Path dir;

  @BeforeAll
  static void startMember() throws Exception {
    member = MemberJvm.startAlone("worker-s", CLUSTER, MemberJvm.testClasspath(), 2);
  }

  @AfterAll
  static void stopMember() throws Exception {
    if (member != null) {
      member.close();
    }
  }

  /** A raw Hazelcast client of the cluster: all an outsider needs is its name and address. */
  private static HazelcastInstance rawClient() {
    ClientConfig c = new ClientConfig();
    c.setClusterName(CLUSTER);
    c.getNetworkConfig().addAddress(member.address());
    c.setProperty("hazelcast.logging.type", "slf4j");
    c.getMetricsConfig().setEnabled(false);
    return HazelcastClient.newHazelcastClient(c);
  }

  /** An engine named {@code name}, client of the test's member, with the deployment secret. */
  private static Engine clientWithTheSecret(String name) {
    return Engine.open(EngineConfig.newBuilder().backend("cluster").name(name).workers(2)
        .option("gearbox.cluster.mode", "client")
        .option("gearbox.cluster.secret", MemberJvm.SECRET)
        .option("gearbox.cluster.cluster-name", CLUSTER)
        .option("gearbox.cluster.members", member.address()).build());
  }

  private static Member theMember(HazelcastInstance hz) {
    return hz.getCluster().getMembers().iterator().next();
  }

  private static byte[] encode(Object o) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    return bytes.toByteArray();
  }

  /** Nested hash sets whose deserialization takes 2^depth hash computations: a thread held for ever. */
  static Set<Object> serialDos(int depth) {
    Set<Object> root = new HashSet<>();
    Set<Object> s1 = root;
    Set<Object> s2 = new HashSet<>();
    for (int i = 0; i < depth; i++) {
      Set<Object> t1 = new HashSet<>();
      Set<Object> t2 = new HashSet<>();
      t1.add("x");
      s1.add(t1);
      s1.add(t2);
      s2.add(t1);
      s2.add(t2);
      s1 = t1;
      s2 = t2;
    }
    return root;
  }

  private static byte[] send(IExecutorService tasks, RemoteTask t, Member m) throws Exception {
    return tasks.submitToMember(t, m).get(ANSWER.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Runs a request on the member and waits until it has run there. */
  private static void runOn(IExecutorService control, Runnable request, Member m) throws Exception {
    CompletableFuture<Object> done = new CompletableFuture<>();
    control.submitToMember(request, m, new ExecutionCallback<Object>() {
      @Override
      public void onResponse(Object response) {
        done.complete(response);
      }

      @Override
      public void onFailure(Throwable t) {
        done.completeExceptionally(t);
      }
    });
    done.get(ANSWER.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Test
  void aTaskSealedWithoutTheSecret_isRefusedBeforeAnythingInItIsDecoded() throws Exception {
    HazelcastInstance raw = rawClient();
    try {
      IExecutorService tasks = raw.getExecutorService(ClusterConfig.TASK_EXECUTOR);
      byte[] bomb = encode(serialDos(100));
      byte[] answer = send(tasks, new RemoteTask(WRONG, false, "outsider", 1, 1, "forged", 1, bomb), theMember(raw));
      assertThat(Answers.refusalOf(answer)).contains("failed authentication").contains("gearbox.cluster.secret");
      // The same bytes sealed with the secret (an insider) are decoded, and the codec's limits stop them at once.
      byte[] insider = send(tasks, new RemoteTask(RIGHT, false, "insider", 2, 2, "bomb", 1, bomb), theMember(raw));
      Answers.Opened o = Answers.open(RIGHT, "insider", 2, 1, insider);
      assertThat(o.data()[o.offset()]).isEqualTo(MemberRuntime.CANNOT_RUN);
      assertThat(new String(o.data(), o.offset() + 1, o.data().length - o.offset() - 1)).contains("could not be deserialized");
      // The member is still there to run honest work.
      Work ok = ctx -> "still here";
      byte[] after = send(tasks, new RemoteTask(RIGHT, false, "insider", 3, 3, "ok", 1, encode(ok)), theMember(raw));
      Answers.Opened a = Answers.open(RIGHT, "insider", 3, 1, after);
      assertThat(a.data()[a.offset()]).isEqualTo(MemberRuntime.OK);
    } finally {
      raw.shutdown();
    }
  }

  @Test
  void aRecordedTaskPlayedBack_isRefused_andRunsOnce() throws Exception {
    HazelcastInstance raw = rawClient();
    try {
      IExecutorService tasks = raw.getExecutorService(ClusterConfig.TASK_EXECUTOR);
      Work counts = ctx -> RUNS.incrementAndGet();
      RemoteTask recorded = new RemoteTask(RIGHT, true, "recorded", 10, 10, "counts", 1, encode(counts));
      Answers.Opened first = Answers.open(RIGHT, "recorded", 10, 1, send(tasks, recorded, theMember(raw)));
      assertThat(first.data()[first.offset()]).isEqualTo(MemberRuntime.OK);
      assertThat(Answers.refusalOf(send(tasks, recorded, theMember(raw)))).contains("replay");
      // A task sealed for another member is refused here: a copy cannot be played back on the other members either.
      RemoteTask forAnother = new RemoteTask(RIGHT, false, false, false, java.util.UUID.randomUUID(), null, "recorded", 12, 12,
          "counts", 1, encode(counts));
      assertThat(Answers.refusalOf(send(tasks, forAnother, theMember(raw)))).contains("sealed for another member");
      RemoteTask fresh = new RemoteTask(RIGHT, true, "recorded", 11, 11, "counts", 1, encode(counts));
      Answers.Opened second = Answers.open(RIGHT, "recorded", 11, 1, send(tasks, fresh, theMember(raw)));
      Object runs = ClusterConfig.defaultCodec().decode(second.data(), second.offset() + 1);
      assertThat(runs).as("the played-back copy did not run").isEqualTo(2);
    } finally {
      raw.shutdown();
    }
  }

  @Test
  void cancelAndHaltRequestsWithoutTheSecret_doNothing_whileOnesWithItInterrupt() throws Exception {
    HazelcastInstance raw = rawClient();
    try {
      IExecutorService tasks = raw.getExecutorService(ClusterConfig.TASK_EXECUTOR);
      IExecutorService control = raw.getExecutorService(ClusterConfig.CONTROL_EXECUTOR);
      Member m = theMember(raw);
      String started = dir.resolve("started").toString();
      String release = dir.resolve("release").toString();
      Work waits = ctx -> {
        Files.createFile(Path.of(started));
        while (!Files.exists(Path.of(release))) {
          Thread.sleep(5); // polls the test's release file; an interrupt ends it with InterruptedException
        }
        return "finished";
      };
      var running = tasks.submitToMember(new RemoteTask(RIGHT, false, "victim", 20, 20, "waits", 1, encode(waits)), m);
      await().atMost(ANSWER).until(() -> Files.exists(Path.of(started)));
      runOn(control, new CancelRequest(WRONG, "victim", 20, true), m);
      runOn(control, new HaltRequest(WRONG, "victim", 20, "waits", "forged"), m);
      Files.createFile(dir.resolve("release")); // both were handled (and refused) before the task may end
      Answers.Opened o = Answers.open(RIGHT, "victim", 20, 1, running.get(ANSWER.toMillis(), TimeUnit.MILLISECONDS));
      assertThat(o.data()[o.offset()]).as("neither interrupted nor halted").isEqualTo(MemberRuntime.OK);
      assertThat(member.isAlive()).isTrue();

      Files.delete(Path.of(started));
      Files.delete(Path.of(release));
      var second = tasks.submitToMember(new RemoteTask(RIGHT, false, "victim", 21, 21, "waits", 1, encode(waits)), m);
      await().atMost(ANSWER).until(() -> Files.exists(Path.of(started)));
      runOn(control, new CancelRequest(RIGHT, "victim", 21, true), m);
      Answers.Opened o2 = Answers.open(RIGHT, "victim", 21, 1, second.get(ANSWER.toMillis(), TimeUnit.MILLISECONDS));
      assertThat(o2.data()[o2.offset()]).as("a cancel with the secret interrupts").isEqualTo(MemberRuntime.FAILED);
    } finally {
      raw.shutdown();
    }
  }

  /** A plain Hazelcast member in this JVM that joins the cluster: its name and address are all it needs. */
  private static HazelcastInstance intruder() {
    Config c = new Config();
    c.setClusterName(CLUSTER);
    c.setProperty("hazelcast.logging.type", "slf4j");
    c.getJetConfig().setEnabled(false);
    c.getMetricsConfig().setEnabled(false);
    int port = MemberJvm.freePort();
    c.getNetworkConfig().setPort(port).setPortAutoIncrement(true).getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    c.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
    c.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
    c.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true).addMember(member.address());
    return Hazelcast.newHazelcastInstance(c);
  }

  /** Records the channel calls published on every channel topic {@code hz} sees, with the topic each came on. */
  private static List<Map.Entry<ITopic<ChannelCall>, ChannelCall>> recordChannelCalls(HazelcastInstance hz) {
    List<Map.Entry<ITopic<ChannelCall>, ChannelCall>> recorded = new CopyOnWriteArrayList<>();
    List<String> topics = hz.getDistributedObjects().stream().map(o -> o.getName())
        .filter(n -> n.startsWith(ClusterConfig.CHANNEL_TOPIC_PREFIX)).toList();
    assertThat(topics).as("the engine's channel topic").isNotEmpty();
    for (String name : topics) { // engines of earlier tests may have left theirs: the task's call shows which is this one's
      ITopic<ChannelCall> topic = hz.getTopic(name);
      topic.addMessageListener(m -> recorded.add(Map.entry(topic, m.getMessageObject())));
    }
    return recorded;
  }

  private static Map.Entry<ITopic<ChannelCall>, ChannelCall> firstCall(List<Map.Entry<ITopic<ChannelCall>, ChannelCall>> recorded) {
    await().atMost(ANSWER).until(() -> recorded.stream().anyMatch(e -> e.getValue().kind == ChannelCall.CALL));
    return recorded.stream().filter(e -> e.getValue().kind == ChannelCall.CALL).findFirst().orElseThrow();
  }

  /** A task that sends 7 on {@code ch}, then runs until the test creates the file {@code release} in its directory. */
  private TaskFuture<String> sendsSevenThenWaits(Engine engine, Channel<Integer> ch) {
    String release = dir.resolve("release").toString();
    return engine.submit(() -> {
      ch.send(7);
      while (!Files.exists(Path.of(release))) {
        Thread.sleep(5); // polls the test's release file
      }
      return "sent once";
    });
  }

  @Test
  void aPlainHazelcastMemberThatJoins_getsNoTask_andIsCounted() throws Exception {
    HazelcastInstance intruder = intruder();
    try {
      await().atMost(ANSWER).until(() -> intruder.getCluster().getMembers().size() == 2);
      try (Engine engine = Engine.open(EngineConfig.newBuilder().backend("cluster").name("secure-join").workers(4)
          .option("gearbox.cluster.mode", "client")
          .option("gearbox.cluster.secret", MemberJvm.SECRET)
          .option("gearbox.cluster.cluster-name", CLUSTER)
          .option("gearbox.cluster.members", member.address()).build())) {
        await().atMost(ANSWER).until(() -> engine.metrics().counter("gearbox.secure-join.cluster.members-refused").getCount() == 1);
        long self = ProcessHandle.current().pid();
        List<TaskFuture<Long>> runs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          runs.add(engine.submit(() -> ProcessHandle.current().pid()));
        }
        for (TaskFuture<Long> f : runs) {
          assertThat(f.get(ANSWER.toMillis(), TimeUnit.MILLISECONDS)).as("ran on the worker member, not the intruder in this JVM")
              .isNotEqualTo(self);
        }
      }
    } finally {
      intruder.getLifecycleService().terminate();
    }
  }

  @Test
  void forgedProgress_isDroppedAndCounted() throws Exception {
    HazelcastInstance raw = rawClient();
    try (Engine engine = clientWithTheSecret("secure-progress")) {
      engine.submit(() -> 1).get(ANSWER.toMillis(), TimeUnit.MILLISECONDS);
      // An outsider finds the engine's progress topic by listing the cluster's objects, and publishes on it.
      List<String> topics = raw.getDistributedObjects().stream().map(o -> o.getName())
          .filter(n -> n.startsWith(ClusterConfig.PROGRESS_TOPIC_PREFIX)).toList();
      assertThat(topics).isNotEmpty();
      for (String name : topics) {
        String owner = name.substring(ClusterConfig.PROGRESS_TOPIC_PREFIX.length());
        ITopic<ProgressReport> topic = raw.getTopic(name);
        topic.publish(new ProgressReport(WRONG, owner, 1, 1, 0.5, "forged"));
      }
      await().atMost(ANSWER).until(() -> engine.metrics().counter("gearbox.secure-progress.cluster.envelopes-refused").getCount() >= 1);
    } finally {
      raw.shutdown();
    }
  }

  /**
   * An outsider listening on the engine's channel topic records a task's send, plays it back while
   * the task still runs, and publishes a call sealed with a wrong secret: both are dropped and
   * counted, and the channel holds only the one element the task sent.
   */
  @Test
  void channelCalls_forgedOrPlayedBack_areDroppedAndCounted() throws Exception {
    HazelcastInstance raw = rawClient();
    try (Engine engine = clientWithTheSecret("secure-channels")) {
      var recorded = recordChannelCalls(raw);
      Channel<Integer> ch = Channel.bounded("guarded", 10);
      TaskFuture<String> task = sendsSevenThenWaits(engine, ch);
      var first = firstCall(recorded);
      ITopic<ChannelCall> topic = first.getKey();
      ChannelCall send = first.getValue();
      topic.publish(send); // played back while its task runs
      topic.publish(new ChannelCall(WRONG, send.owner, send.member, send.wireId, send.attempt, send.call + 1000, ChannelCall.CALL, false, 0,
          false, new byte[] {ChannelCall.SEND}, send.channelIds, send.channelNames, new byte[][] {encode(99)}));
      String refused = "gearbox.secure-channels.cluster.envelopes-refused";
      await().atMost(ANSWER).until(() -> engine.metrics().counter(refused).getCount() >= 2);
      Files.createFile(dir.resolve("release"));
      assertThat(task.get(ANSWER.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("sent once");
      assertThat(ch.tryReceive()).contains(7);
      assertThat(ch.tryReceive()).as("neither the copy nor the forgery sent anything").isEmpty();
      assertThat(engine.metrics().counter(refused).getCount()).isEqualTo(2);
    } finally {
      raw.shutdown();
    }
  }

  /**
   * A plain Hazelcast member that joined the cluster records a task's send and plays it back as its
   * own publication (so the number of the last call taken from it does not stop it): the call names
   * the member that sealed it, so the copy is dropped and counted, and the channel holds one element.
   */
  @Test
  void aChannelCallPlayedBackByAnotherMember_isRefused() throws Exception {
    HazelcastInstance intruder = intruder();
    try (Engine engine = clientWithTheSecret("secure-replayer")) {
      await().atMost(ANSWER).until(() -> intruder.getCluster().getMembers().size() == 2);
      var recorded = recordChannelCalls(intruder);
      Channel<Integer> ch = Channel.bounded("guarded-from-members", 10);
      TaskFuture<String> task = sendsSevenThenWaits(engine, ch);
      var first = firstCall(recorded);
      assertThat(first.getValue().member).as("sealed by the worker member").isNotEqualTo(intruder.getCluster().getLocalMember()
          .getUuid().toString());
      first.getKey().publish(first.getValue()); // published by the intruder while its task runs
      String refused = "gearbox.secure-replayer.cluster.envelopes-refused";
      await().atMost(ANSWER).until(() -> engine.metrics().counter(refused).getCount() >= 1);
      Files.createFile(dir.resolve("release"));
      assertThat(task.get(ANSWER.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("sent once");
      assertThat(ch.tryReceive()).contains(7);
      assertThat(ch.tryReceive()).as("the copy sent nothing").isEmpty();
      assertThat(engine.metrics().counter(refused).getCount()).isEqualTo(1);
    } finally {
      intruder.getLifecycleService().terminate();
    }
  }

  /**
   * With encrypted payloads, an error the engine answers a channel call with (here: an element that
   * cannot travel to a member) is encrypted too, and the task's exception still reads it.
   */
  @Test
  void anErrorAnsweredToAChannelCall_isReadable_whenPayloadsAreEncrypted() throws Exception {
    try (Engine engine = Engine.open(EngineConfig.newBuilder().backend("cluster").name("secure-errors").workers(2)
        .option("gearbox.cluster.mode", "client")
        .option("gearbox.cluster.secret", MemberJvm.SECRET)
        .option("gearbox.cluster.encrypt", "true")
        .option("gearbox.cluster.cluster-name", CLUSTER)
        .option("gearbox.cluster.members", member.address()).build())) {
      Channel<Object> ch = Channel.bounded("unsendable", 1);
      ch.send(new Object()); // not serializable: it cannot reach the member
      TaskFuture<Object> task = engine.submit(() -> ch.receive());
      assertThatThrownBy(() -> task.get(ANSWER.toMillis(), TimeUnit.MILLISECONDS))
          .hasStackTraceContaining("an element of class java.lang.Object cannot be sent to a cluster member");
    }
  }

  /** A select with more cases than a call may carry fails on the member, before anything is published. */
  @Test
  void aSelectWithTooManyCases_failsOnTheMember() throws Exception {
    try (Engine engine = clientWithTheSecret("secure-cases")) {
      Channel<Integer> ch = Channel.bounded("many-cases", 1);
      TaskFuture<Integer> task = engine.submit(() -> {
        Select<Integer> s = Select.create();
        for (int i = 0; i <= ChannelCall.MAX_CASES; i++) {
          s.onReceive(ch, v -> v);
        }
        return s.onDefault(() -> -1).select();
      });
      assertThatThrownBy(() -> task.get(ANSWER.toMillis(), TimeUnit.MILLISECONDS))
          .hasStackTraceContaining("IllegalArgumentException")
          .hasStackTraceContaining("at most " + ChannelCall.MAX_CASES + " cases, not " + (ChannelCall.MAX_CASES + 1));
    }
  }

  @Test
  void aMemberWithAnotherSecret_isRefused_andOpenSaysWhy() throws Exception {
    String cluster = CLUSTER + "-other";
    int port = MemberJvm.freePort();
    try (MemberJvm other = MemberJvm.start(dir, "worker-other", port, MemberJvm.testClasspath(), "--cluster-name=" + cluster,
        "--members=127.0.0.1:" + port, "--slots=1", "--secret-file=" + MemberJvm.secretFile("another deployment's secret"))) {
      other.awaitReady();
      assertThatThrownBy(() -> Engine.open(EngineConfig.newBuilder().backend("cluster").workers(1)
          .option("gearbox.cluster.mode", "client")
          .option("gearbox.cluster.secret", MemberJvm.SECRET)
          .option("gearbox.cluster.cluster-name", cluster)
          .option("gearbox.cluster.members", other.address())
          .option("gearbox.cluster.startup-timeout", "5s").build()))
          .isInstanceOf(EngineConfigException.class)
          .hasMessageContaining("gearbox.cluster.min-members")
          .hasMessageContaining("another deployment secret")
          .hasMessageNotContaining(MemberJvm.SECRET);
    }
  }

  @Test
  void aWorkerMemberWithoutSecret_refusesToStart_andOneWithItOnTheCommandLine_too() throws Exception {
    int port = MemberJvm.freePort();
    assertThatThrownBy(() -> WorkerMember.start("--cluster-name=x", "--port=" + port, "--members=127.0.0.1:" + port))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("GEARBOX_CLUSTER_SECRET");
    assertThatThrownBy(() -> WorkerMember.start("--cluster-name=x", "--secret=" + MemberJvm.SECRET))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("command line").hasMessageNotContaining(MemberJvm.SECRET);
    Path secret = MemberJvm.secretFile(MemberJvm.SECRET);
    assertThatThrownBy(() -> WorkerMember.start("--port=" + port, "--secret-file=" + secret))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("--cluster-name");
    assertThatThrownBy(() -> WorkerMember.start("--cluster-name=x", "--secret-file=" + MemberJvm.secretFile("zq9-shrt")))
        .isInstanceOf(EngineConfigException.class).hasMessageContaining("at least 16").hasMessageNotContaining("zq9-shrt");
  }
}
