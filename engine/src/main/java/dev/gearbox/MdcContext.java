package dev.gearbox;

import java.util.Map;
import org.slf4j.MDC;

/**
 * The SLF4J {@code MDC} of a submitting thread, as a {@link CarriedContext}. Captured only when the
 * map is not empty, so a submitter without a logging context pays one thread-local read.
 *
 * @param map the submitter's map (a copy; never changed)
 */
record MdcContext(Map<String, String> map) implements CarriedContext {
  private static final long serialVersionUID = 1L;

  static final ContextCarrier CARRIER = MdcContext::capture;

  static MdcContext capture() {
    Map<String, String> m = MDC.getCopyOfContextMap();
    return m == null || m.isEmpty() ? null : new MdcContext(Map.copyOf(m));
  }

  @Override
  public Restoration restore() {
    Map<String, String> previous = MDC.getCopyOfContextMap();
    MDC.setContextMap(map);
    return () -> {
      if (previous == null || previous.isEmpty()) {
        MDC.clear();
      } else {
        MDC.setContextMap(previous);
      }
    };
  }
}
