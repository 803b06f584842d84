/**
 * The {@code cluster} backend (Hazelcast): found by {@link java.util.ServiceLoader}. Its package is
 * exported because members start at {@code dev.gearbox.cluster.WorkerMember}.
 */
module dev.gearbox.cluster {
  requires transitive dev.gearbox;
  // WorkerMember.start returns the member's HazelcastInstance.
  requires transitive com.hazelcast.core;
  requires org.slf4j;
  // Hazelcast is an automatic module, which declares nothing it needs: on the module path the JDK
  // modules it uses are resolved only if some module requires them. It uses most of Java SE
  // (java.sql, java.management, XA...) and sun.misc.Unsafe.
  requires java.se;
  requires jdk.unsupported;

  exports dev.gearbox.cluster;
  // Hazelcast instantiates the engine's frames (DataSerializable) reflectively.
  opens dev.gearbox.cluster to com.hazelcast.core;

  provides dev.gearbox.spi.BackendProvider with dev.gearbox.cluster.ClusterBackendProvider;
}
