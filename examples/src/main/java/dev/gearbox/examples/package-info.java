/**
 * The example programs and the tour ({@code ./gearbox tour}): each runs on every level, chosen
 * by configuration, and checks its own answer. Not a library: read them, copy from them.
 */
package dev.gearbox.examples;
