package dev.gearbox.benchmarks;

/**
 * The JVM ceiling's child: a bare JVM (no engine) that spins {@code TASKS} times for
 * {@code MICROS} each, as a worker would run its share of a job, and exits.
 *
 * <pre>java -cp benchmarks.jar dev.gearbox.benchmarks.SpinChild MICROS TASKS</pre>
 */
public final class SpinChild {
  private SpinChild() {}

  public static void main(String[] args) {
    long nanos = Long.parseLong(args[0]) * 1_000;
    int tasks = Integer.parseInt(args[1]);
    long sink = 0;
    for (int i = 0; i < tasks; i++) {
      long start = System.nanoTime();
      while (System.nanoTime() - start < nanos) {
        sink++;
      }
    }
    if (sink < 0) {
      throw new IllegalStateException();
    }
  }
}
