/**
 * The contract suite every backend passes, for backend authors' tests.
 *
 * <p><b>Status: test API.</b> {@link dev.gearbox.testkit.EngineContract} (extend it in a few lines),
 * one interface per concern ({@code ResultsContract}, {@code CancellationContract}...), the tasks
 * and signals the tests use, and {@link dev.gearbox.testkit.KeyTables}, which holds a README's key
 * table to the declared configuration keys. Tests coordinate through files and latches, never
 * by sleeping, so that the same suite runs against worker processes and cluster members.
 */
package dev.gearbox.testkit;
