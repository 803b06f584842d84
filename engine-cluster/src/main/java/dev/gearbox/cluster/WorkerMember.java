package dev.gearbox.cluster;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.gearbox.EngineConfig;
import dev.gearbox.EngineConfigException;
import dev.gearbox.spi.remote.MapSettings;
import dev.gearbox.spi.remote.SerialCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a cluster member that runs Gearbox tasks: the {@code gearbox-worker} command.
 *
 * <pre>
 * GEARBOX_CLUSTER_SECRET=... java -cp &lt;application classpath&gt; dev.gearbox.cluster.WorkerMember \
 *     --cluster-name=myapp --interface=10.0.0.2 --members=10.0.0.1:5701,10.0.0.2:5701,10.0.0.3:5701
 * </pre>
 *
 * <p>The classpath must hold the application's task classes (a member cannot run a task whose
 * class it does not have), Gearbox's engine and cluster modules and Hazelcast. Options are the
 * {@code gearbox.cluster.*} keys without their prefix ({@code --slots=8} is
 * {@code gearbox.cluster.slots=8}); they may also come from system properties, environment
 * variables and {@code gearbox.properties}, as for an engine. The engine-only keys ({@code mode},
 * {@code executor}, {@code parallelism}, {@code min-members}, {@code poison-threshold}, {@code kill},
 * {@code daemon}, {@code encrypt}) are refused as options and ignored in those shared sources, which the
 * application's engine may read too. A member needs {@code --cluster-name} (there is no default)
 * and the deployment secret, from the environment variable {@code GEARBOX_CLUSTER_SECRET} or
 * {@code --secret-file} (never the command line, which other users can read); it runs only
 * tasks sealed with that secret and proves it holds it to every engine. {@code --insecure=true}
 * runs without one, with a loud warning. The member binds loopback unless
 * {@code --interface} says otherwise, joins by TCP/IP only, and leaves the cluster gracefully on
 * SIGTERM (its durable tasks' backups move first). It runs until stopped, or, with
 * {@code --exit-with-parent}, until the process that started it exits (however it ends).
 *
 * <p>With {@code --isolation=process} the member runs each task in a worker JVM of its own pool,
 * one worker per slot ({@link IsolatedTasks}; needs {@code gearbox-engine-process} on the
 * classpath), so that a task can be killed, or can crash, without the member and its other tasks.
 * The pool reads the {@code gearbox.process.*} keys and {@code gearbox.cancel.grace} from the
 * shared sources above.
 */
public final class WorkerMember {
  private static final Logger log = LoggerFactory.getLogger(WorkerMember.class);
  private static final Pattern OPTION = Pattern.compile("--([a-z][a-z0-9-]*)=(.*)", Pattern.DOTALL);
  private static final String EXIT_WITH_PARENT = "--exit-with-parent";

  private WorkerMember() {}

  /**
   * Runs a worker member until it is stopped; exits with status 2 and a message naming the
   * option if the configuration is unusable.
   */
  public static void main(String[] args) {
    if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
      System.out.println("usage: java -cp <application classpath> " + WorkerMember.class.getName() + " [--key=value ...]\n"
          + "keys (gearbox.cluster.* without the prefix): cluster-name, members, interface, port, slots, member-name,\n"
          + "  durable-capacity, durable-backups, member-timeout, max-payload, serial-filter, startup-timeout,\n"
          + "  secret-file, replay-window, insecure, isolation\n"
          + "required: --cluster-name, and the deployment secret: environment variable " + ClusterConfig.SECRET_ENV + "\n"
          + "  or --secret-file=<path> (never on the command line); --insecure=true runs without one (trusted networks only)\n"
          + "--isolation=process: run each task in a worker JVM of this member's own pool (one per slot), so that a task\n"
          + "  can be killed, or can crash, alone; needs gearbox-engine-process on the classpath. The pool reads the\n"
          + "  gearbox.process.* keys (heap, jvm-options, max-tasks-per-worker, recycle-heap...) and gearbox.cancel.grace\n"
          + "  from system properties, environment and gearbox.properties\n"
          + "defaults: --interface=127.0.0.1 --port=5701 --members=127.0.0.1:5701 --slots=<processors>\n"
          + "--exit-with-parent: leave the cluster and exit when the process that started this one exits (a script,\n"
          + "  a benchmark, a supervisor that may be killed), so the member never outlives it");
      return;
    }
    List<String> options = new ArrayList<>(List.of(args));
    boolean exitWithParent = options.remove(EXIT_WITH_PARENT) | options.remove(EXIT_WITH_PARENT + "=true");
    options.remove(EXIT_WITH_PARENT + "=false");
    HazelcastInstance hz;
    try {
      hz = start(options.toArray(String[]::new));
    } catch (EngineConfigException e) {
      System.err.println("gearbox worker member: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (exitWithParent) {
      exitWithParent();
    }
    var local = hz.getCluster().getLocalMember();
    System.out.println("gearbox worker member ready: " + MemberRuntime.describe(local) + ", cluster '"
        + hz.getConfig().getClusterName() + "', " + local.getAttribute(ClusterConfig.SLOTS_ATTRIBUTE) + " slot(s), "
        + hz.getCluster().getMembers().size() + " member(s), isolation "
        + (local.getAttribute(ClusterConfig.ISOLATION_ATTRIBUTE) == null ? "none" : local.getAttribute(ClusterConfig.ISOLATION_ATTRIBUTE)));
  }

  /**
   * Exits (leaving the cluster gracefully, through the shutdown hook) once the parent process is
   * gone. A parent that is already gone, or was never known, exits at once.
   */
  private static void exitWithParent() {
    Optional<ProcessHandle> parent = ProcessHandle.current().parent();
    long pid = parent.map(ProcessHandle::pid).orElse(-1L);
    Runnable leave = () -> {
      System.out.println("gearbox worker member: its parent process " + pid + " exited (" + EXIT_WITH_PARENT + "); leaving");
      System.exit(0);
    };
    if (parent.isEmpty() || !parent.get().isAlive()) {
      leave.run();
      return;
    }
    parent.get().onExit().thenRun(leave);
  }

  /**
   * Starts a worker member in this JVM and returns it (the caller shuts it down).
   *
   * @throws EngineConfigException naming the option of anything unusable
   */
  public static HazelcastInstance start(String... args) {
    EngineConfig base = EngineConfig.load();
    Map<String, String> options = memberOptions(base.backendOptions(), args);
    String engineName = base.name().orElse("cluster");
    ClusterConfig config = ClusterConfig.parse(new MapSettings(engineName, base.workers(), Duration.ofSeconds(1), options));
    if (System.getProperty(ClusterConfig.SECRET) != null) {
      log.warn("Gearbox worker member: the deployment secret comes from the system property -D{}, which every user of"
          + " this machine can read on the command line (ps); prefer {} or --secret-file", ClusterConfig.SECRET,
          ClusterConfig.SECRET_ENV);
    }
    if (!options.containsKey(ClusterConfig.CLUSTER_NAME)) {
      throw new EngineConfigException(ClusterConfig.CLUSTER_NAME, "a worker member needs --cluster-name (or "
          + ClusterConfig.CLUSTER_NAME + " in its configuration): the name of the deployment's cluster, the same as the"
          + " engines' (" + ClusterConfig.CLUSTER_NAME + "). There is no default, so that two deployments never merge by accident");
    }
    SerialCodec codec = config.codec();
    if (config.seal().insecure()) {
      String warning = "this member runs WITHOUT authentication (--insecure=true): any host that reaches port " + config.port()
          + " can run code here and read every task. Set a deployment secret (" + ClusterConfig.SECRET_ENV + " or"
          + " --secret-file) unless the network is yours alone";
      log.warn("Gearbox worker member: {}", warning);
      System.err.println("gearbox worker member: WARNING: " + warning);
    }
    InstanceFactory.prepareHazelcast();
    // Its worker processes read the gearbox.process.* keys and gearbox.cancel.grace of the shared sources.
    IsolatedTasks isolated = IsolatedTasks.open(config, new MapSettings(engineName, base.workers(), base.cancelGrace(),
        base.backendOptions()));
    var hzConfig = HazelcastConfigs.member(config, MemberRuntime.configured(config, codec, isolated));
    hzConfig.setProperty("hazelcast.shutdownhook.enabled", "true");
    hzConfig.setProperty("hazelcast.shutdownhook.policy", "GRACEFUL");
    try {
      return Hazelcast.newHazelcastInstance(hzConfig);
    } catch (RuntimeException e) {
      if (isolated != null) {
        isolated.close();
      }
      throw new EngineConfigException(ClusterConfig.INTERFACE, "the worker member could not start (cluster '"
          + config.clusterName() + "', interface " + config.bindInterface() + ", port " + config.port() + "): " + e);
    }
  }

  /** The engine's settings that mean nothing to a member: it runs what engines send it. */
  private static final List<String> ENGINE_ONLY = List.of(ClusterConfig.MODE, ClusterConfig.PARALLELISM,
      ClusterConfig.MIN_MEMBERS, ClusterConfig.EXECUTOR, ClusterConfig.POISON_THRESHOLD, ClusterConfig.KILL, ClusterConfig.DAEMON,
      ClusterConfig.ENCRYPT);

  /**
   * The member's {@code gearbox.cluster.*} settings: those of the shared sources (system
   * properties, environment, {@code gearbox.properties}), overridden by the command line. The
   * engine-only keys are refused on the command line, where they can only be a mistake, but
   * ignored in the shared sources, which an application's engine may read too (its
   * {@code gearbox.properties} with {@code mode=client} and {@code min-members}).
   *
   * @throws EngineConfigException naming a malformed, unknown or engine-only option
   */
  static Map<String, String> memberOptions(Map<String, String> shared, String... args) {
    Map<String, String> options = new LinkedHashMap<>();
    List<String> ignored = new ArrayList<>();
    shared.forEach((k, v) -> {
      if (ENGINE_ONLY.contains(k)) {
        ignored.add(k);
      } else if (k.startsWith(ClusterConfig.P)) {
        options.put(k, v);
      }
    });
    if (!ignored.isEmpty()) {
      log.info("Gearbox worker member: ignoring the engine settings {} of the shared configuration (system properties,"
          + " environment, gearbox.properties): a member runs what engines send it", ignored);
    }
    for (String arg : args) {
      Matcher m = OPTION.matcher(arg);
      if (!m.matches()) {
        throw new EngineConfigException(null, "'" + (arg.contains("secret") ? "--secret..." : arg) + "' is not an option:"
            + " expected --key=value, e.g. --members=10.0.0.1:5701");
      }
      String key = ClusterConfig.P + m.group(1);
      if (key.equals(ClusterConfig.SECRET)) {
        throw new EngineConfigException(key, "--secret is not taken on the command line, where every user of the machine"
            + " can read it (ps): set the environment variable " + ClusterConfig.SECRET_ENV + ", or --secret-file=<path of a"
            + " file only this user can read>");
      }
      if (!ClusterConfig.KEYS.contains(key)) {
        throw new EngineConfigException(key, "unknown option --" + m.group(1) + ". Known options: "
            + String.join(", ", ClusterConfig.KEYS.stream().filter(k -> !ENGINE_ONLY.contains(k))
                .map(k -> "--" + k.substring(ClusterConfig.P.length())).toList()));
      }
      String value = m.group(2).trim();
      if (ENGINE_ONLY.contains(key) && !(key.equals(ClusterConfig.MODE) && value.equalsIgnoreCase("member"))) {
        throw new EngineConfigException(key, "--" + m.group(1) + " is an engine setting, not a member's: a worker member"
            + " runs what engines send it");
      }
      options.put(key, value);
    }
    options.put(ClusterConfig.MODE, "member");
    options.putIfAbsent(ClusterConfig.MEMBER_NAME, "worker pid " + ProcessHandle.current().pid());
    return options;
  }
}
