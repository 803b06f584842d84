/**
 * The {@code cluster} backend: tasks on the members of a Hazelcast cluster, and the member side
 * that runs them.
 *
 * <p><b>Status: internal</b>, except {@link dev.gearbox.cluster.WorkerMember} (API: the command,
 * and {@code WorkerMember.start}, that run a member with the application's classes) and
 * {@link dev.gearbox.cluster.ClusterBackendProvider} (public for {@link java.util.ServiceLoader}).
 * The envelopes Hazelcast carries ({@code RemoteTask}, {@code CancelRequest}, {@code HaltRequest},
 * {@code ProgressReport}) are package-private; Hazelcast creates them by name.
 *
 * <p>Where to start: {@link dev.gearbox.cluster.ClusterBackend}'s class comment. Threads and locks:
 * the {@code Assignments} monitor is the one lock for dispatch; nothing calls Hazelcast, sends or
 * reports under it; outcomes arrive on Hazelcast threads and are reported on the report executor.
 */
package dev.gearbox.cluster;
