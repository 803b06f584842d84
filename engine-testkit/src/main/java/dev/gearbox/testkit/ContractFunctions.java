package dev.gearbox.testkit;

import dev.gearbox.Task;
import dev.gearbox.TaskFunction;
import dev.gearbox.testkit.ContractTasks.ContractFailure;
import java.io.Serializable;
import java.util.concurrent.Callable;

/** Map functions, Callables and Runnables for the contract suite; all serializable. */
public final class ContractFunctions {
  private ContractFunctions() {}

  /** 2x, after a little busy work that varies by input so completions come out of order. */
  public static int jitteredDouble(int x) {
    long spins = (x * 7919L) % 13 * 2_000;
    long acc = 0;
    for (long i = 0; i < spins; i++) {
      acc += i ^ x;
    }
    return acc == -1 ? -1 : 2 * x;
  }

  public static int failOnFive(int x) {
    if (x == 5) {
      throw new ContractFailure("input 5 is bad");
    }
    return x;
  }

  /** A map function that blocks (interruptibly) until {@code release}. */
  public static TaskFunction<Integer, Object> blockingBy(String dir) {
    return x -> {
      Signals.awaitInTask(dir, "release");
      return x;
    };
  }

  /** Fails the first time it sees {@code bad} (remembered in a signal file), then succeeds. */
  public static TaskFunction<Integer, Integer> failFirstTimeOn(String dir, int bad) {
    return x -> {
      if (x == bad && !Signals.isRaised(dir, "failed-once-" + bad)) {
        Signals.raise(dir, "failed-once-" + bad);
        throw new ContractFailure("first failure of " + bad);
      }
      return x;
    };
  }

  /** A task doing a little CPU work. */
  public static Task<Integer> spin(int i) {
    return () -> {
      long acc = 0;
      for (int k = 0; k < 2_000; k++) {
        acc += k ^ i;
      }
      return acc == -1 ? -1 : i;
    };
  }

  public static Callable<Integer> callable(int v) {
    return (Callable<Integer> & Serializable) () -> v;
  }

  public static Callable<Integer> failingCallable() {
    return (Callable<Integer> & Serializable) () -> {
      throw new ContractFailure("callable failed");
    };
  }

  public static Runnable runnable() {
    return (Runnable & Serializable) () -> { };
  }
}
