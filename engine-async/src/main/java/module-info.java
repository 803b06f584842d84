/** The {@code async} backend: found by {@link java.util.ServiceLoader}, nothing to use directly. */
module dev.gearbox.async {
  requires transitive dev.gearbox;
  requires org.slf4j;

  exports dev.gearbox.async;

  provides dev.gearbox.spi.BackendProvider with dev.gearbox.async.AsyncBackendProvider;
}
