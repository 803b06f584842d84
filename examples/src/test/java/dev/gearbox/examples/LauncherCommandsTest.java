package dev.gearbox.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The {@code gearbox} launcher at the repository's root runs an example only if its {@code case}
 * names it: every command of {@link Main} must be there, in its help text and in its list of
 * commands for a mistyped one, or {@code ./gearbox <example>} fails while the README says it runs.
 */
class LauncherCommandsTest {
  private static final Path LAUNCHER = Path.of("..", "gearbox");

  @Test
  void theLauncher_runsEveryCommandOfMain_andListsIt() throws Exception {
    String script = Files.readString(LAUNCHER);
    Matcher runs = Pattern.compile("(?m)^\\s*tour\\|([a-z|]+)\\)\\s*$").matcher(script);
    assertThat(runs.find()).as("the launcher's case line for the examples, in %s", LAUNCHER.toAbsolutePath()).isTrue();
    Set<String> launched = Set.copyOf(Arrays.asList(("tour|" + runs.group(1)).split("\\|")));
    Matcher unknown = Pattern.compile("unknown command '\\$cmd'\\. Commands: ([a-z, -]+)\\.").matcher(script);
    assertThat(unknown.find()).as("the launcher's message for an unknown command").isTrue();
    List<String> listed = Arrays.asList(unknown.group(1).split(", "));

    List<String> commands = Main.commandLine().getSubcommands().keySet().stream().filter(c -> !c.equals("help")).toList();
    assertThat(commands).contains("tour", "primes", "bench");
    assertThat(launched).as("commands the launcher runs").containsAll(commands);
    assertThat(listed).as("commands the launcher lists for a mistyped one").containsAll(commands);
    // `./gearbox help` prints the script's lines FIRST to LAST (sed -n 'FIRST,LASTp'): those must name every command.
    Matcher range = Pattern.compile("sed -n '(\\d+),(\\d+)p' \"\\$0\"").matcher(script);
    assertThat(range.find()).as("the launcher's help command").isTrue();
    List<String> lines = script.lines().toList();
    String help = String.join("\n", lines.subList(Integer.parseInt(range.group(1)) - 1, Integer.parseInt(range.group(2))));
    for (String c : commands) {
      assertThat(help).as("the launcher's help text names %s", c).containsPattern("\\b" + c + "\\b");
    }
  }
}
