package dev.gearbox;

import java.io.Serializable;

/**
 * The function applied to each input by {@link Engine#map} and {@link Engine#mapUnordered}.
 * Serializable for the same reason as {@link Task}: remote backends ship it to their workers
 * (once per batch of inputs, not once per input).
 *
 * @param <I> input type
 * @param <O> output type
 */
@FunctionalInterface
public interface TaskFunction<I, O> extends Serializable {

  /**
   * Computes the output for one input.
   *
   * @param input one element of the mapped inputs
   * @return the output, which may be {@code null}
   * @throws Exception any failure; the result stream throws it (see {@link Engine#map})
   */
  O apply(I input) throws Exception;
}
