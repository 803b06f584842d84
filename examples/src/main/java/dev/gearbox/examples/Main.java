package dev.gearbox.examples;

import dev.gearbox.EngineConfigException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The examples' command line: {@code ./gearbox tour}, {@code ./gearbox primes --backend process},
 * and so on. Every example takes {@code --backend}, {@code --workers} and {@code --set KEY=VALUE};
 * anything not given comes from the usual configuration sources.
 */
@Command(name = "gearbox", mixinStandardHelpOptions = true, version = "Gearbox examples 0.1.0",
    description = "Gearbox examples: the same programs on every concurrency level.",
    subcommands = {TourCommand.class, PrimesExample.class, PiExample.class, CrawlExample.class, CrashExample.class,
        WordCountExample.class, PipelineExample.class, SieveExample.class, FarmExample.class, TeardownExample.class,
        BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|min|h)?");

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The command line with its converters and error handling; tests run examples through it. */
  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.registerConverter(Duration.class, Main::duration);
    cl.registerConverter(Long.class, s -> Long.parseLong(s.replace("_", "").replace(",", "")));
    cl.registerConverter(Long.TYPE, s -> Long.parseLong(s.replace("_", "").replace(",", "")));
    cl.registerConverter(Integer.class, s -> Integer.parseInt(s.replace("_", "").replace(",", "")));
    cl.registerConverter(Integer.TYPE, s -> Integer.parseInt(s.replace("_", "").replace(",", "")));
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      if (ex instanceof EngineConfigException) {
        cmd.getErr().println("gearbox: " + ex.getMessage());
        cmd.getErr().flush();
        return 2;
      }
      cmd.getErr().println("gearbox " + cmd.getCommandName() + " failed: " + ex);
      ex.printStackTrace(cmd.getErr());
      cmd.getErr().flush();
      return 1;
    });
    return cl;
  }

  /** "250ms", "2s", "1.5m", "1h", or ISO-8601 ("PT2S"). */
  static Duration duration(String s) {
    Matcher m = DURATION.matcher(s.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      return Duration.parse(s.trim());
    }
    double v = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "ms" : m.group(2);
    double millis = switch (unit) {
      case "s" -> v * 1000;
      case "m", "min" -> v * 60_000;
      case "h" -> v * 3_600_000;
      default -> v;
    };
    return Duration.ofNanos(Math.round(millis * 1_000_000));
  }

  static String[] withBackends(List<String> args, List<String> backends) {
    List<String> all = new ArrayList<>(args);
    if (backends != null) {
      all.add("--backends");
      all.add(String.join(",", backends));
    }
    return all.toArray(String[]::new);
  }
}
