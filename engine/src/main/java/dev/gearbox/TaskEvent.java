package dev.gearbox;

/**
 * Identifies the task an {@link EngineListener} callback is about.
 *
 * @param engine   the engine's name ({@code gearbox.name})
 * @param taskId   the task's id
 * @param taskName the task's name
 * @param attempt  the attempt number (1 for the first run; 0 before the task started)
 * @param elapsedNanos nanoseconds since the task was submitted
 */
public record TaskEvent(String engine, long taskId, String taskName, int attempt, long elapsedNanos) {}
