package dev.gearbox;

/**
 * What a backend can and cannot do. The engine's policies consult these, and configuration that
 * needs a capability the backend lacks fails at {@link Engine#open} instead of degrading
 * silently.
 *
 * @param canInterrupt         a running task can be interrupted ({@link Thread#interrupt()} on
 *                             its thread, wherever that thread is)
 * @param canKill              a running task that ignores interrupts can still be stopped, by
 *                             killing what runs it (a worker process); timeouts are then exact
 * @param requiresSerializable tasks, inputs and results cross a process or machine boundary and
 *                             must be serializable; such tasks are checked at submit
 * @param sharedMemory         tasks run in the caller's JVM and see the caller's objects
 * @param prefersBatching      per-task overhead is high (a round trip to another process), so
 *                             {@code map} batches small inputs by default
 * @param channels             tasks may use {@link Channel}s made by the caller: they share its
 *                             memory, or their backend routes each operation back to the
 *                             caller's JVM ({@code process}); elsewhere a task capturing a channel
 *                             is rejected at submit
 */
public record BackendCapabilities(
    boolean canInterrupt,
    boolean canKill,
    boolean requiresSerializable,
    boolean sharedMemory,
    boolean prefersBatching,
    boolean channels) {

  /** Capabilities whose backend reaches channels exactly when it shares memory. */
  public BackendCapabilities(boolean canInterrupt, boolean canKill, boolean requiresSerializable, boolean sharedMemory,
      boolean prefersBatching) {
    this(canInterrupt, canKill, requiresSerializable, sharedMemory, prefersBatching, sharedMemory);
  }

  /** The capabilities of a backend that runs tasks on threads of the caller's JVM. */
  public static BackendCapabilities inProcess() {
    return new BackendCapabilities(true, false, false, true, false);
  }
}
