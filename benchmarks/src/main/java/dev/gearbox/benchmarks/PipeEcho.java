package dev.gearbox.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** The raw baseline's child JVM: echoes every byte from stdin to stdout, unbuffered. */
public final class PipeEcho {
  private PipeEcho() {}

  public static void main(String[] args) throws IOException {
    InputStream in = System.in;
    OutputStream out = System.out;
    int b;
    while ((b = in.read()) >= 0) {
      out.write(b);
      out.flush();
    }
  }
}
