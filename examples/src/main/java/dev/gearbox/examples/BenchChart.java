package dev.gearbox.examples;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.CategoryStyler;

/**
 * The bench chart: two bar charts one above the other, the speedup of each level over one
 * thread of the same language (for CPU-bound work, on each round's fastest CPU where it can be pinned) for
 * the CPU-bound workload (linear) and the I/O-bound one (log).
 */
final class BenchChart {
  private static final int WIDTH = 1100;
  private static final int HEIGHT = 420;

  private BenchChart() {}

  static Path write(List<BenchCommand.Row> rows, Path png) throws IOException {
    System.setProperty("java.awt.headless", "true");
    // A CPU speedup above what the machine can do is a measurement fault: its bar is left out (the table says so).
    String over = rows.stream().allMatch(r -> r.baseline().isPinned()) ? "one thread on each round's fastest CPU" : "one thread";
    BufferedImage cpu = BitmapEncoder.getBufferedImage(chart(rows, r -> r.cpuFault() ? Double.NaN : r.cpuSpeedup(),
        "CPU-bound: primes in chunks - speedup over " + over + " (higher is better)", false, new Color(0x3B75AF)));
    BufferedImage io = BitmapEncoder.getBufferedImage(chart(rows, BenchCommand.Row::ioSpeedup,
        "I/O-bound: tasks that wait - speedup over one thread (log scale)", true, new Color(0xEF8636)));
    BufferedImage both = new BufferedImage(WIDTH, 2 * HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = both.createGraphics();
    try {
      g.drawImage(cpu, 0, 0, null);
      g.drawImage(io, 0, HEIGHT, null);
    } finally {
      g.dispose();
    }
    ImageIO.write(both, "png", png.toFile());
    return png;
  }

  private static CategoryChart chart(List<BenchCommand.Row> rows, ToDoubleFunction<BenchCommand.Row> value, String title,
      boolean log, Color color) {
    List<String> levels = new ArrayList<>();
    List<Double> values = new ArrayList<>();
    for (BenchCommand.Row r : rows) {
      double v = value.applyAsDouble(r);
      if (!Double.isNaN(v) && v > 0) {
        levels.add(r.level().replaceFirst(" \\(.*\\)$", "").replace("ThreadPoolExecutor", "threads ")
            .replace("ProcessPoolExecutor", "processes "));
        values.add(v);
      }
    }
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).yAxisTitle("speedup").build();
    CategoryStyler s = chart.getStyler();
    s.setLegendVisible(false);
    s.setChartBackgroundColor(Color.WHITE);
    s.setSeriesColors(new Color[] {color});
    s.setYAxisLogarithmic(log);
    if (log) {
      s.setYAxisMin(0.5);
    } else {
      s.setYAxisMin(0.0);
    }
    s.setXAxisLabelRotation(15);
    s.setLabelsVisible(true);
    s.setDecimalPattern("#0.0#");
    chart.addSeries("speedup", levels, values);
    return chart;
  }
}
