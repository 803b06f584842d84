package dev.gearbox.cluster;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import java.util.Arrays;

/**
 * Measures how long {@code Engine.open} takes with the cluster backend's default (an embedded
 * member), cold (the first in a fresh JVM: Hazelcast's classes load) and warm (later opens in the
 * same JVM), and the first task's round trip. A measurement for the README, not a test:
 * {@code java -cp <test classpath> dev.gearbox.cluster.EmbeddedStartupProbe [warm runs]}.
 */
public final class EmbeddedStartupProbe {
  private EmbeddedStartupProbe() {}

  public static void main(String[] args) throws Exception {
    int warm = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    long[] open = new long[warm + 1];
    long[] first = new long[warm + 1];
    long[] close = new long[warm + 1];
    for (int i = 0; i <= warm; i++) {
      long t0 = System.nanoTime();
      Engine engine = Engine.open(EngineConfig.newBuilder().backend("cluster").name("probe-" + i).build());
      long t1 = System.nanoTime();
      engine.submit(() -> 1).get();
      long t2 = System.nanoTime();
      engine.close();
      long t3 = System.nanoTime();
      open[i] = t1 - t0;
      first[i] = t2 - t1;
      close[i] = t3 - t2;
    }
    System.out.printf("cold: open %.0f ms, first task %.1f ms, close %.0f ms%n", open[0] / 1e6, first[0] / 1e6, close[0] / 1e6);
    System.out.printf("warm (median of %d): open %.0f ms, first task %.1f ms, close %.0f ms%n", warm,
        median(open) / 1e6, median(first) / 1e6, median(close) / 1e6);
  }

  private static double median(long[] all) {
    long[] warm = Arrays.copyOfRange(all, 1, all.length);
    Arrays.sort(warm);
    return warm[warm.length / 2];
  }
}
