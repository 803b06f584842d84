/** The {@code thread} backend: found by {@link java.util.ServiceLoader}, nothing to use directly. */
module dev.gearbox.thread {
  requires transitive dev.gearbox;

  exports dev.gearbox.thread;

  provides dev.gearbox.spi.BackendProvider with dev.gearbox.thread.ThreadBackendProvider;
}
