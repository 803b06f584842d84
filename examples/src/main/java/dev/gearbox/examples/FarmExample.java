package dev.gearbox.examples;

import dev.gearbox.Channel;
import dev.gearbox.Engine;
import dev.gearbox.ProgressBar;
import dev.gearbox.Select;
import dev.gearbox.Task;
import dev.gearbox.TaskFuture;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A worker farm: the caller fans jobs out to a few farm tasks through one channel and fans their
 * answers in through another, from one thread, with a select that offers the next job (guarded: only
 * while jobs are left), takes an answer, or times out to report that the farm is busy. The select is
 * what keeps one thread from blocking on a full job channel while answers pile up.
 */
@Command(name = "farm", mixinStandardHelpOptions = true,
    description = "A worker farm: fan-out and fan-in through channels, driven by one select with a timeout.")
final class FarmExample extends ChannelExample {
  /** How long the caller's select waits before it notes that nothing moved. */
  static final Duration TICK = Duration.ofMillis(200);

  @Option(names = "--jobs", description = "jobs, each a range of numbers whose primes a farm task counts (default: ${DEFAULT-VALUE})")
  int jobs = 400;

  @Option(names = "--job-size", description = "numbers per job (default: ${DEFAULT-VALUE})")
  int jobSize = 20_000;

  @Override
  String name() {
    return "farm";
  }

  @Override
  String shows() {
    return "fan-out and fan-in through channels, with select and a timeout";
  }

  @Override
  String lesson() {
    return "One select offers work and takes answers, so neither side of the farm can block the other; the farm tasks"
        + " are the same code on threads and in worker JVMs.";
  }

  @Override
  void shrink() {
    jobs = 60;
    jobSize = 5_000;
  }

  /** A farm task: counts the primes of each job until the job channel ends. */
  static Task<Integer> farmer(Channel<long[]> work, Channel<long[]> answers) {
    return () -> {
      int done = 0;
      for (long[] job : work) {
        answers.send(new long[] {job[0], Primes.countChunk(job)});
        done++;
      }
      return done;
    };
  }

  @Override
  String title() {
    return "worker farm";
  }

  @Override
  Summary runStages(Engine engine, PrintWriter out) throws Exception {
    if (jobs < 1 || jobSize < 1) {
      throw badFlag("--jobs and --job-size must be at least 1");
    }
    int farmers = Math.min(engine.parallelism(), 4);
    Channel<long[]> work = Channel.bounded("jobs", farmers);
    Channel<long[]> answers = Channel.bounded("answers", farmers);
    long t0 = System.nanoTime();
    List<TaskFuture<Integer>> farm = new ArrayList<>();
    for (int i = 0; i < farmers; i++) {
      farm.add(engine.submit(farmer(work, answers)));
    }
    long primes = 0;
    int sent = 0;
    int received = 0;
    int ticks = 0;
    ProgressBar bar = ProgressBar.terminal("farm");
    while (received < jobs) {
      long[] next = {(long) sent * jobSize, (long) (sent + 1) * jobSize};
      // 1 = a job went out, 2 = an answer came in, 0 = nothing moved for a tick
      long[] answer = new long[1];
      int what = Select.<Integer>create()
          .onSend(work, next, () -> 1).when(sent < jobs)
          .onReceive(answers, a -> {
            answer[0] = a[1];
            return 2;
          })
          .onTimeout(TICK, () -> 0)
          .select();
      switch (what) {
        case 1 -> {
          if (++sent == jobs) {
            work.close(); // the farmers end once they have drained it
          }
        }
        case 2 -> {
          primes += answer[0];
          bar.update(++received, jobs);
        }
        default -> ticks++;
      }
    }
    bar.finish();
    int perFarmer = 0;
    for (TaskFuture<Integer> f : farm) {
      perFarmer = Math.max(perFarmer, f.get());
    }
    double elapsed = seconds(t0);
    long expected = Primes.countChunk(new long[] {0, (long) jobs * jobSize});
    if (primes != expected) {
      throw new IllegalStateException("the farm counted " + primes + " primes but one thread counted " + expected);
    }
    return new Summary(String.format(java.util.Locale.ROOT, "worker farm of %d on %s: %,d jobs of %,d numbers", farmers,
        engine.backendName(), jobs, jobSize))
        .row("primes", "%,d, checked against one thread", primes)
        .row("jobs", "%,d out, %,d answers in, at most %,d by one farmer", sent, received, perFarmer)
        .row("select timeouts", "%d (a %d ms tick with no job taken and no answer ready)", ticks, TICK.toMillis())
        .row("time", "%.2f s", elapsed)
        .headline("%,d jobs through %d farmers, %.2f s", jobs, farmers, elapsed);
  }
}
