/**
 * Gearbox: one executor API for the JVM; configuration picks the concurrency level behind it.
 *
 * <p>{@code dev.gearbox} is the application API (stable). {@code dev.gearbox.spi} is for backend
 * authors (may change between minor versions). {@code dev.gearbox.spi.remote} is shared by the
 * remote backends and internal: it is exported only because those backends live in other modules.
 * {@code dev.gearbox.view} holds the live views; of it only {@code EngineMXBean} and {@code Top} are API.
 *
 * <p>An application that {@code requires dev.gearbox} gets every backend module on the module path
 * by service binding ({@code uses BackendProvider}); no {@code --add-modules} is needed.
 */
module dev.gearbox {
  // TaskFuture is a ListenableFuture and EngineConfig takes a MetricRegistry: both are API.
  requires transitive com.google.common;
  requires transitive com.codahale.metrics;
  requires org.slf4j;
  // The live views (dev.gearbox.view): JMX, the JDK's HTTP server for the web view.
  requires java.management;
  requires jdk.httpserver;
  requires java.net.http; // gearbox top reads the web view
  requires com.codahale.metrics.jmx;

  exports dev.gearbox;
  exports dev.gearbox.spi;
  exports dev.gearbox.spi.remote;
  // EngineMXBean and the terminal view (Top); the rest of the package is not API.
  exports dev.gearbox.view;

  uses dev.gearbox.spi.BackendProvider;
}
