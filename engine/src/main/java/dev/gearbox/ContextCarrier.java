package dev.gearbox;

/**
 * Carries a piece of the submitting thread's context (a logging context, a trace span) to wherever
 * the task runs: {@link #capture()} runs in the thread that submits, and what it returns travels
 * with the task (across processes and cluster members too, serialized with it) and is
 * {@linkplain CarriedContext#restore() restored} around each attempt in the thread that runs it.
 *
 * <p>The engine carries the SLF4J {@code MDC} this way unless {@code gearbox.context.mdc=false}.
 * Other carriers are added with {@link EngineConfig.Builder#contextCarrier} or named in
 * {@code gearbox.context.carriers} (classes with a public no-argument constructor).
 *
 * <p>Implementations must be thread-safe; {@code capture} is on the submit path, so keep it cheap
 * and return {@code null} when there is nothing to carry (the task then costs nothing more). An
 * exception thrown by {@code capture} fails the submit with it.
 */
@FunctionalInterface
public interface ContextCarrier {

  /**
   * Captures the current thread's context.
   *
   * @return what to restore around the task, or {@code null} for nothing; it must be serializable,
   *     with classes on the workers' class path, for backends whose tasks leave the JVM
   */
  CarriedContext capture();

  /** The carrier of the SLF4J {@code MDC}: the submitter's map, restored around the task, and the worker's put back after. */
  static ContextCarrier mdc() {
    return MdcContext.CARRIER;
  }
}
