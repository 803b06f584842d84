package dev.gearbox;

/**
 * One case of a channel operation: a receive from {@code buffer}, or a send of {@code element} to
 * it. A plain {@code send} or {@code receive} is an operation of one case; a {@link Select} has
 * one per enabled channel case, {@code index} being the case's position among them. A receive
 * performed for a task in another JVM is {@code acked}: what it takes stays in delivery until
 * that task has it (see {@link ChannelBuffer}).
 */
record ChannelOp(ChannelBuffer buffer, int index, boolean send, Object element, boolean acked) {
  ChannelOp(ChannelBuffer buffer, int index, boolean send, Object element) {
    this(buffer, index, send, element, false);
  }
}
