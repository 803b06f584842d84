package dev.gearbox;

/**
 * One case of a channel operation: a receive from {@code buffer}, or a send of {@code element} to
 * it. A plain {@code send} or {@code receive} is an operation of one case; a {@link Select} has
 * one per enabled channel case, {@code index} being the case's position among them.
 */
record ChannelOp(ChannelBuffer buffer, int index, boolean send, Object element) {}
