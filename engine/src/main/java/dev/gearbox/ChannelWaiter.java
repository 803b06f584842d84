package dev.gearbox;

/**
 * A case of a blocked operation, queued in its channel until a counterpart claims it. Equality is
 * identity, so a select removes exactly its own waiters.
 */
final class ChannelWaiter {
  final ChannelOp op;
  final Selection selection;

  ChannelWaiter(ChannelOp op, Selection selection) {
    this.op = op;
    this.selection = selection;
  }

  /** Claims this waiter's operation for its case; false if another case or a withdrawal won. */
  boolean claim() {
    return selection.claim(op.index());
  }
}
