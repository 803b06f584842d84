/**
 * Seeing an engine from outside: the live web view ({@code gearbox.dashboard.port}), JMX
 * ({@code gearbox.jmx}), the snapshot as JSON, and {@code gearbox top}.
 *
 * <p><b>Status: not API</b>, apart from {@link dev.gearbox.view.EngineMXBean} (what JMX clients
 * see), {@link dev.gearbox.view.Top} (a command) and the JSON format. The engine's core opens
 * {@link dev.gearbox.view.EngineViews}; applications configure it with keys and never call it.
 */
package dev.gearbox.view;
