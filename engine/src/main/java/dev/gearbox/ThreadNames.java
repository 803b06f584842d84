package dev.gearbox;

/**
 * How the engine names a thread in messages, logs and snapshots: its name, or, for an unnamed
 * thread (the async backend leaves its virtual threads unnamed unless {@code gearbox.async.name-prefix}
 * is set), {@code VirtualThread[#<id>]} or {@code Thread[#<id>]}, as {@link Thread#toString()} begins.
 * Stateless; thread-safe.
 */
final class ThreadNames {
  private ThreadNames() {}

  static String of(Thread t) {
    String n = t.getName();
    return n.isEmpty() ? (t.isVirtual() ? "VirtualThread" : "Thread") + "[#" + t.threadId() + "]" : n;
  }
}
