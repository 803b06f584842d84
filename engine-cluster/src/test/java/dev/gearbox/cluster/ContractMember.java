package dev.gearbox.cluster;

import dev.gearbox.EngineConfig;
import java.time.Duration;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The worker member JVM that a contract test's engines are clients of: started once for the class,
 * started again before a test if the previous one killed it (the channel tests kill the process
 * running a task, which on a member without isolation is the member), stopped after the class.
 * Engines connect with the deployment secret and encrypted payloads. Registered as a static
 * extension field ({@code @RegisterExtension}).
 */
final class ContractMember implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {
  private final String name;
  private final String cluster;
  private final int slots;
  private final String[] options;
  private MemberJvm member;

  ContractMember(String name, String cluster, int slots, String... options) {
    this.name = name;
    this.cluster = cluster;
    this.slots = slots;
    this.options = options;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    member = MemberJvm.startAlone(name, cluster, MemberJvm.testClasspath(), slots, options);
  }

  /**
   * Starts a new member if the last test killed this one: its process is gone, or dying (still
   * unreaped, but no longer taking connections).
   */
  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    if (!member.isAlive() || !member.acceptsConnections()) {
      member.close();
      beforeAll(context);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (member != null) {
      member.close();
    }
  }

  /** A client engine of this member, with {@code workers} and a short cancel grace. */
  EngineConfig.Builder clientOf(EngineConfig.Builder builder, int workers) {
    return builder.backend("cluster").workers(workers).cancelGrace(Duration.ofMillis(500))
        .option("gearbox.cluster.mode", "client")
        .option("gearbox.cluster.secret", MemberJvm.SECRET)
        .option("gearbox.cluster.encrypt", "true")
        .option("gearbox.cluster.cluster-name", cluster)
        .option("gearbox.cluster.members", member.address());
  }
}
