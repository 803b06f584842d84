/**
 * The {@code process} backend: found by {@link java.util.ServiceLoader}. Its package is exported
 * because the worker JVMs start at {@code dev.gearbox.process.WorkerMain}.
 */
module dev.gearbox.process {
  requires transitive dev.gearbox;
  requires org.apache.commons.exec;
  requires org.slf4j;

  exports dev.gearbox.process;

  provides dev.gearbox.spi.BackendProvider with dev.gearbox.process.ProcessBackendProvider;
}
