package dev.gearbox.cluster;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.hazelcast.cluster.Member;
import dev.gearbox.EngineConfigException;
import dev.gearbox.WorkerEvent;
import dev.gearbox.spi.BackendSettings;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task-running members of the cluster, in the order they joined: their slots and running
 * counts, suspicion, which one takes the next attempt, the capacity, and what a join or a leave
 * tells the application (metrics {@code cluster.members}, {@code cluster.capacity},
 * {@code cluster.members-joined}, {@code cluster.members-left}, worker events). Members that run
 * no tasks (lite members, {@code slots=0}) are not in it.
 *
 * <p>Lock: guarded by the lock it is given, the monitor of the {@link Assignments} that owns it,
 * which also guards the backend's parked attempts and attempts in flight. Choosing a member,
 * taking its slot and parking an attempt that finds none are one decision under that lock, so an
 * attempt never parks after a slot it could take was freed or a member joined. Methods whose
 * names end in {@code Locked} need the caller to hold the lock. {@link #suspect},
 * {@link #size}, {@link #capacity} (the gauges) and {@link #awaitTaskRunners} take it themselves;
 * {@link #entryFor}, {@link #announceJoined} and {@link #announceLeft} touch no guarded state and
 * are called without it. Nothing here calls Hazelcast or reports an attempt while holding it.
 */
final class MemberTable {
  /** The cluster backend's category: one logger setting (dev.gearbox.cluster.ClusterBackend) covers all its messages. */
  private static final Logger log = LoggerFactory.getLogger(ClusterBackend.class);
  /** Hazelcast's default executor pool size: the slots of a member that does not advertise any. */
  private static final int FOREIGN_MEMBER_SLOTS = 16;

  private final Object lock;
  private final ClusterConfig config;
  private final BackendSettings settings;
  private final Counter joined;
  private final Counter left;
  /** Guarded by {@link #lock}. */
  private final Map<UUID, MemberSlots> members = new LinkedHashMap<>();

  /** {@code lock} guards the table (the owning {@link Assignments}). */
  MemberTable(Object lock, ClusterConfig config, BackendSettings settings) {
    this.lock = lock;
    this.config = config;
    this.settings = settings;
    this.joined = settings.metrics().counter(settings.metricName("cluster.members-joined"));
    this.left = settings.metrics().counter(settings.metricName("cluster.members-left"));
  }

  // ---------------------------------------------------------------- joins and leaves

  private static int slotsOf(Member m) {
    if (m.isLiteMember()) {
      return 0;
    }
    String s = m.getAttribute(ClusterConfig.SLOTS_ATTRIBUTE);
    if (s == null) {
      return FOREIGN_MEMBER_SLOTS;
    }
    try {
      return Math.max(0, Integer.parseInt(s));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /**
   * A new entry for a member that joined, or null if it runs no tasks (for this engine: with
   * {@code kill=task}, a member without {@code isolation=process} runs none). Called without the lock.
   */
  MemberSlots entryFor(Member m) {
    int slots = slotsOf(m);
    if (slots == 0 || !isolatedIfNeeded(m)) {
      return null;
    }
    String metric = m.getAttribute(ClusterConfig.NAME_ATTRIBUTE) != null ? m.getAttribute(ClusterConfig.NAME_ATTRIBUTE)
        : m.getAddress().getHost() + ":" + m.getAddress().getPort();
    return new MemberSlots(m, slots, slots * config.prefetch(), settings.metrics().counter(settings.metricName("cluster.member-tasks."
        + metric.replace(' ', '-'))));
  }

  /**
   * Whether the member may run this engine's tasks as far as isolation goes: with
   * {@code kill=task}, only if it runs each in a worker process of its own, where the task can be
   * killed alone. Says so (WARN) when it may not.
   */
  private boolean isolatedIfNeeded(Member m) {
    if (config.kill() != ClusterConfig.KillPolicy.TASK || "process".equals(m.getAttribute(ClusterConfig.ISOLATION_ATTRIBUTE))) {
      return true;
    }
    log.warn("Gearbox: engine {}: {} runs tasks without isolation, so it gets none of this engine's tasks: with {}=task a"
        + " task must be killable alone. Start it with --isolation=process ({}=process)", settings.engineName(),
        MemberRuntime.describe(m), ClusterConfig.KILL, ClusterConfig.ISOLATION);
    return false;
  }

  /** Adds a member unless it is there already; wakes {@link #awaitTaskRunners}. */
  boolean addLocked(MemberSlots ms) {
    if (members.containsKey(ms.member.getUuid())) {
      return false;
    }
    members.put(ms.member.getUuid(), ms);
    lock.notifyAll(); // awaitTaskRunners
    return true;
  }

  /** The member's entry, taken out of the table; null if it was not in it. */
  MemberSlots removeLocked(UUID member) {
    return members.remove(member);
  }

  /** Forgets every member: the instance is gone. */
  void clearLocked() {
    members.clear();
  }

  /** Counts a join and tells the application; called without the lock, after {@link #addLocked}. */
  void announceJoined(MemberSlots ms, boolean initial) {
    if (!initial) {
      joined.inc();
    }
    settings.workerStarted(new WorkerEvent(settings.engineName(), ms.label, (initial ? "in the cluster at open"
        : "joined the cluster") + " with " + ms.slots + " slot(s)", null));
  }

  /**
   * Counts a leave and tells the application; called without the lock, after {@link #removeLocked}.
   *
   * @param lost how many of this engine's attempts were lost with it
   * @param durable whether its attempts run again on their backup members instead
   */
  void announceLeft(MemberSlots ms, int lost, boolean durable) {
    left.inc();
    String detail = "left the cluster" + (lost == 0 ? "" : "; " + lost + " task(s) it ran were lost")
        + (durable ? "; its durable tasks run again on their backup members" : "");
    settings.workerCrashed(new WorkerEvent(settings.engineName(), ms.label, detail, null));
    if (lost > 0) {
      log.warn("Gearbox: {} {}", ms.label, detail);
    }
  }

  // ---------------------------------------------------------------- slots

  /**
   * The member that takes the next attempt, or null if none can now: the one with the most free
   * slots that is not suspected. An attempt starts at once on a free slot, but only while this
   * engine runs fewer than {@code parallelism} attempts (its dispatch limit); otherwise it may only
   * wait in the queue of a member whose slots this engine's attempts all take (the prefetch:
   * {@link MemberSlots#holds}), so the engine never runs more than its limit at once.
   */
  MemberSlots bestLocked(long now, int parallelism) {
    int started = 0;
    for (MemberSlots m : members.values()) {
      started += Math.min(m.running, m.slots);
    }
    boolean mayStart = started < parallelism;
    MemberSlots best = null;
    for (MemberSlots m : members.values()) {
      if (m.canTake(now) && (mayStart || m.nextIsHeld()) && (best == null || m.slots - m.running > best.slots - best.running)) {
        best = m;
      }
    }
    return best;
  }

  /** Whether some member is suspected at {@code now} (it may be alive after all). */
  boolean anySuspectedLocked(long now) {
    return members.values().stream().anyMatch(m -> m.suspectedAt(now));
  }

  /** Frees a slot of {@code ms}, unless it left meanwhile (its running count went with it). */
  void releaseSlotLocked(MemberSlots ms) {
    if (members.get(ms.member.getUuid()) == ms) {
      ms.running--;
    }
  }

  /**
   * A task sent to this member failed as if the member left, before the cluster says it did: send
   * it nothing for a while ({@code member-timeout}), so retries go elsewhere instead of failing there again.
   */
  void suspect(MemberSlots m) {
    synchronized (lock) {
      m.suspected = true;
      m.suspectUntil = System.nanoTime() + config.memberTimeout().toNanos();
    }
  }

  boolean isEmptyLocked() {
    return members.isEmpty();
  }

  /** The members as a snapshot shows them. Caller holds the lock. */
  java.util.List<dev.gearbox.EngineSnapshot.WorkerInfo> viewLocked() {
    long now = System.nanoTime();
    java.util.List<dev.gearbox.EngineSnapshot.WorkerInfo> out = new java.util.ArrayList<>(members.size());
    for (MemberSlots m : members.values()) {
      String address = m.member.getAddress() == null ? null : m.member.getAddress().toString();
      out.add(new dev.gearbox.EngineSnapshot.WorkerInfo(m.member.getUuid().toString(), -1, address,
          (m.suspectedAt(now) ? "SUSPECTED" : "UP") + " " + m.running + "/" + m.slots + " slots", m.tasks.getCount(), -1,
          null, null));
    }
    return out;
  }

  /** How many task-running members there are (gauge {@code cluster.members}). */
  int size() {
    synchronized (lock) {
      return members.size();
    }
  }

  /** Their slots in all (gauge {@code cluster.capacity}). */
  int capacity() {
    synchronized (lock) {
      return capacityLocked();
    }
  }

  private int capacityLocked() {
    int n = 0;
    for (MemberSlots m : members.values()) {
      n += m.slots;
    }
    return n;
  }

  /**
   * Waits until {@code min-members} task-running members are present, by {@code deadline} (the
   * open's); returns their slots, at least 1.
   *
   * @param seen the members the cluster shows, named when too few run tasks
   * @throws EngineConfigException naming {@code min-members} if they do not come in time
   */
  int awaitTaskRunners(long deadline, Supplier<?> seen) {
    boolean interrupted = false;
    int found;
    try {
      synchronized (lock) {
        while (members.size() < config.minMembers()) {
          long wait = deadline - System.nanoTime();
          if (wait <= 0) {
            break;
          }
          try {
            TimeUnit.NANOSECONDS.timedWait(lock, wait);
          } catch (InterruptedException e) {
            interrupted = true;
          }
        }
        found = members.size();
        if (found >= config.minMembers()) {
          return Math.max(1, capacityLocked());
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    throw new EngineConfigException(ClusterConfig.MIN_MEMBERS, "the cluster backend found " + found
        + " member(s) that run tasks in cluster '" + config.clusterName() + "' within "
        + config.startupTimeout().toMillis() + " ms, but " + ClusterConfig.MIN_MEMBERS + "=" + config.minMembers()
        + ". Members seen: " + seen.get() + ". Start members with java -cp <application classpath>"
        + " dev.gearbox.cluster.WorkerMember" + (config.kill() == ClusterConfig.KillPolicy.TASK ? " --isolation=process (with "
            + ClusterConfig.KILL + "=task only members that run each task in a worker process of their own count)" : "")
        + ", or lower " + ClusterConfig.MIN_MEMBERS);
  }

  /**
   * Registers the gauges {@code cluster.members} and {@code cluster.capacity}, replacing those of
   * an engine of the same name. Only once the backend has opened: a gauge keeps the table, and
   * with it the backend, reachable from the application's registry, so a failed open registers none.
   */
  void registerGauges() {
    MetricRegistry metrics = settings.metrics();
    metrics.remove(settings.metricName("cluster.members"));
    metrics.register(settings.metricName("cluster.members"), (Gauge<Integer>) this::size);
    metrics.remove(settings.metricName("cluster.capacity"));
    metrics.register(settings.metricName("cluster.capacity"), (Gauge<Integer>) this::capacity);
  }

  /** Unregisters the gauges (the engine is closing; a later engine of the same name registers its own). */
  void removeGauges() {
    settings.metrics().remove(settings.metricName("cluster.members"));
    settings.metrics().remove(settings.metricName("cluster.capacity"));
  }
}
