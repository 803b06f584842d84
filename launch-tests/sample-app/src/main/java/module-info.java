/** The sample application: it requires only the API; the backends come by service binding. */
module dev.gearbox.sample {
  requires dev.gearbox;

  exports dev.gearbox.sample;
}
