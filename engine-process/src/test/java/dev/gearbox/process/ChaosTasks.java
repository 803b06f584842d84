package dev.gearbox.process;

import dev.gearbox.Task;

final class ChaosTasks {
  private ChaosTasks() {}

  /** x squared after about a millisecond of work, so that kills land while tasks run. */
  static Task<Integer> slowSquare(int x) {
    return () -> {
      long end = System.nanoTime() + 1_000_000;
      while (System.nanoTime() < end) {
        Thread.onSpinWait();
      }
      return x * x;
    };
  }
}
