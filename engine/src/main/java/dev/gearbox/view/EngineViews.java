package dev.gearbox.view;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfigException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The views an engine's configuration asks for: JMX ({@code gearbox.jmx}) and the live web view
 * ({@code gearbox.dashboard.port}, bound to {@code gearbox.dashboard.bind}). Opened by the engine
 * at open, closed when it terminates. Not API: the engine's core calls it.
 */
public final class EngineViews implements AutoCloseable {
  private final List<AutoCloseable> open;
  private final Dashboard dashboard;

  private EngineViews(List<AutoCloseable> open, Dashboard dashboard) {
    this.open = open;
    this.dashboard = dashboard;
  }

  /**
   * Opens what is asked for; undoes a partial start before it throws.
   *
   * @param dashboardPort the port, 0 for any free one, or -1 for no dashboard
   * @throws EngineConfigException naming the key when a view cannot start
   */
  public static EngineViews open(Engine engine, boolean jmx, int dashboardPort, String bind) {
    List<AutoCloseable> open = new ArrayList<>();
    Dashboard dashboard = null;
    try {
      if (jmx) {
        try {
          open.add(new EngineJmx(engine));
        } catch (IllegalStateException e) {
          throw new EngineConfigException("gearbox.jmx", e.getMessage());
        }
      }
      if (dashboardPort >= 0) {
        try {
          dashboard = new Dashboard(engine, bind, dashboardPort);
        } catch (IOException | RuntimeException e) {
          throw new EngineConfigException("gearbox.dashboard.port", "the dashboard of engine '" + engine.name()
              + "' cannot listen on " + bind + ":" + dashboardPort + ": " + e
              + ". Choose another gearbox.dashboard.port (0 takes any free port)");
        }
        open.add(dashboard);
      }
    } catch (RuntimeException e) {
      closeAll(open);
      throw e;
    }
    return new EngineViews(open, dashboard);
  }

  /** Whether there is anything to close. */
  public boolean isEmpty() {
    return open.isEmpty();
  }

  /** The dashboard's address, or null without one. */
  public String dashboardUrl() {
    return dashboard == null ? null : dashboard.url();
  }

  @Override
  public void close() {
    closeAll(open);
  }

  private static void closeAll(List<AutoCloseable> open) {
    RuntimeException first = null;
    for (int i = open.size() - 1; i >= 0; i--) {
      try {
        open.get(i).close();
      } catch (Exception e) {
        if (first == null) {
          first = e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
      }
    }
    open.clear();
    if (first != null) {
      throw first;
    }
  }
}
