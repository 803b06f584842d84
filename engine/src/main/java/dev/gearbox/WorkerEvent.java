package dev.gearbox;

/**
 * A backend worker's lifecycle change, for backends that have workers (processes, members).
 *
 * @param engine  the engine's name
 * @param worker  the worker's identity (for example {@code worker-3 pid 41234})
 * @param detail  what happened, in words (exit code, signal, reason for recycling)
 * @param cause   the failure behind a crash, or {@code null}
 */
public record WorkerEvent(String engine, String worker, String detail, Throwable cause) {}
