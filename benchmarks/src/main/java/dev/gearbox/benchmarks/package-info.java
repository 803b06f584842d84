/**
 * JMH benchmarks and comparison runners: every engine figure is measured beside its baseline
 * (a raw JDK or library equivalent, Python's pools) in the same run. Not a library.
 */
package dev.gearbox.benchmarks;
