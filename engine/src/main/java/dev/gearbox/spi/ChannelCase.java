package dev.gearbox.spi;

/**
 * One case of a channel operation performed for a task in another JVM: a send of
 * {@code element}, or a receive, on the channel whose id is {@code channelId}. A plain send or
 * receive is an operation of one case; a {@link dev.gearbox.Select} has one per enabled case.
 *
 * @param send        true for a send, false for a receive
 * @param channelId   the channel's id (what its handle carries)
 * @param channelName the channel's name, for messages
 * @param element     what a send sends (in the JVM that owns the channel: the object, or its
 *                    bytes as {@link ChannelHost.Encoded}); null for a receive
 */
public record ChannelCase(boolean send, String channelId, String channelName, Object element) {}
