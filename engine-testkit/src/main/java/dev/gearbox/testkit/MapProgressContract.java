package dev.gearbox.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.gearbox.Engine;
import dev.gearbox.MapOptions;
import dev.gearbox.MapProgress;
import dev.gearbox.TaskFunction;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Progress of {@code map}: a listener in {@link MapOptions} hears done counts that only grow, the
 * total when the input is sized, and one last report, finished, with everything done.
 */
public interface MapProgressContract extends ContractFixture {

  static TaskFunction<Integer, Integer> slowSquare() {
    return i -> {
      Thread.sleep(5); // work that takes a little time, so that reports come while it runs
      return i * i;
    };
  }

  @Test
  default void mapProgress_countsUpToTheTotal_andEndsWithAFinishedReport() throws Exception {
    Engine engine = open(b -> b.workers(2));
    List<MapProgress> reports = new CopyOnWriteArrayList<>();
    List<Integer> inputs = IntStream.range(0, 60).boxed().collect(Collectors.toList());
    try (Stream<Integer> out = engine.map(slowSquare(), inputs,
        MapOptions.newBuilder().chunkSize(1).progress(reports::add).build())) {
      assertThat(out.mapToLong(Integer::longValue).sum()).isEqualTo(IntStream.range(0, 60).mapToLong(i -> (long) i * i).sum());
    }
    await().until(() -> !reports.isEmpty() && reports.get(reports.size() - 1).finished());
    MapProgress last = reports.get(reports.size() - 1);
    assertThat(last.done()).isEqualTo(60);
    assertThat(last.total()).isEqualTo(60);
    assertThat(last.fraction()).contains(1.0);
    assertThat(last.ratePerSecond()).isPositive();
    assertThat(reports).filteredOn(MapProgress::finished).hasSize(1);
    for (int i = 1; i < reports.size(); i++) {
      assertThat(reports.get(i).done()).isGreaterThanOrEqualTo(reports.get(i - 1).done());
      assertThat(reports.get(i).total()).isEqualTo(60);
    }
  }

  @Test
  default void anUnsizedInput_hasNoTotal_unlessOneIsGiven() throws Exception {
    Engine engine = open();
    List<MapProgress> unknown = new CopyOnWriteArrayList<>();
    Iterable<Integer> unsized = () -> IntStream.range(0, 10).iterator();
    try (Stream<Integer> out = engine.mapUnordered(slowSquare(), unsized, MapOptions.newBuilder().progress(unknown::add).build())) {
      assertThat(out.count()).isEqualTo(10);
    }
    await().until(() -> !unknown.isEmpty() && unknown.get(unknown.size() - 1).finished());
    assertThat(unknown.get(unknown.size() - 1).knownTotal()).isEmpty();
    assertThat(unknown.get(unknown.size() - 1).done()).isEqualTo(10);

    List<MapProgress> given = new CopyOnWriteArrayList<>();
    try (Stream<Integer> out = engine.mapUnordered(slowSquare(), unsized,
        MapOptions.newBuilder().total(10).progress(given::add).build())) {
      assertThat(out.count()).isEqualTo(10);
    }
    await().until(() -> !given.isEmpty() && given.get(given.size() - 1).finished());
    assertThat(given.get(given.size() - 1).total()).isEqualTo(10);
  }
}
