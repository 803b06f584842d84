/**
 * The {@code cluster} backend (Hazelcast): found by {@link java.util.ServiceLoader}. Its package is
 * exported because members start at {@code dev.gearbox.cluster.WorkerMember}.
 */
module dev.gearbox.cluster {
  requires transitive dev.gearbox;
  // WorkerMember.start returns the member's HazelcastInstance.
  requires transitive com.hazelcast.core;
  requires org.slf4j;

  exports dev.gearbox.cluster;

  provides dev.gearbox.spi.BackendProvider with dev.gearbox.cluster.ClusterBackendProvider;
}
