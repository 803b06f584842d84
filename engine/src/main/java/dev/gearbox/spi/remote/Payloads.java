package dev.gearbox.spi.remote;

import dev.gearbox.EngineException;
import dev.gearbox.spi.Attempt;
import dev.gearbox.spi.Codec;
import dev.gearbox.spi.Work;
import java.io.IOException;
import java.io.NotSerializableException;
import java.util.concurrent.RejectedExecutionException;

/**
 * What a remote backend does with payloads, worded once for every remote backend: encoding a task
 * at submit (rejecting, in the submitter's thread, what cannot cross), the bytes of an attempt's
 * work, and decoding an outcome into the attempt's report, saying in words why an outcome could
 * not be read back.
 *
 * <p>Immutable and thread-safe.
 */
public final class Payloads {
  private final Codec codec;
  private final String destination;

  /**
   * @param codec encodes and decodes tasks, results and failures
   * @param destination where tasks go, as messages say it: {@code "a worker process"}, {@code "a cluster member"}
   */
  public Payloads(Codec codec, String destination) {
    this.codec = codec;
    this.destination = destination;
  }

  public Codec codec() {
    return codec;
  }

  /**
   * {@link dev.gearbox.spi.Backend#prepare}: encodes the work once, at submit, so that every
   * attempt sends the same bytes and a task that cannot cross is rejected in the submitting thread.
   *
   * @throws RejectedExecutionException saying what cannot cross and how to fix it
   */
  public byte[] prepare(Work work) {
    return prepare(work, "the task");
  }

  /**
   * {@link #prepare(Work)} for work that messages call {@code what} ({@code "the worker initializer"}).
   *
   * @throws RejectedExecutionException saying what cannot cross and how to fix it
   */
  public byte[] prepare(Work work, String what) {
    try {
      return codec.encode(work);
    } catch (NotSerializableException e) {
      throw new RejectedExecutionException(what + " cannot be sent to " + destination + ": it is, or captures, an object of"
          + " class " + e.getMessage() + ", which is not Serializable. Make it Serializable, capture only serializable"
          + " values, or run it on an in-process backend (thread, async, direct) with gearbox.serialization.check=off", e);
    } catch (IOException | RuntimeException e) {
      throw new RejectedExecutionException(what + " cannot be sent to " + destination + ": " + e, e);
    }
  }

  /**
   * {@code rejection} of a task made of the plain {@code Callable} or {@code Runnable} {@code plain}
   * (given to {@code Engine.asExecutorService()}), with the cast that fixes it when what could not be
   * serialized is that object itself: a lambda is serializable only when its target type is.
   * Otherwise {@code rejection} itself.
   *
   * @param type how the cast names the interface: {@code "Callable<T>"} or {@code "Runnable"}
   */
  public static RejectedExecutionException withCast(RejectedExecutionException rejection, Object plain, String type) {
    if (plain instanceof java.io.Serializable || !(rejection.getCause() instanceof NotSerializableException e)
        || !plain.getClass().getName().equals(e.getMessage())) {
      return rejection;
    }
    String lambda = type.startsWith("Callable") ? "() -> ..." : "() -> { ... }";
    return new RejectedExecutionException(rejection.getMessage() + ". It is the " + type.replace("<T>", "") + " itself: a lambda"
        + " or method reference is serializable only when its target type is, so write it as (" + type + " & Serializable) "
        + lambda + " (or submit a dev.gearbox.Task, which is a serializable Callable, to the Engine)", e);
  }

  /**
   * The bytes of an attempt's work: those {@link #prepare} kept, else encoded now.
   *
   * @throws RejectedExecutionException if the work cannot be encoded
   */
  public byte[] workOf(Attempt attempt) {
    if (attempt.prepared() instanceof byte[] bytes) {
      return bytes;
    }
    try {
      return codec.encode(attempt.work());
    } catch (IOException | RuntimeException e) {
      throw new RejectedExecutionException("task " + attempt.taskName() + " cannot be sent to " + destination + ": " + e, e);
    }
  }

  /**
   * Decodes a result sent back from {@code from} and reports it: {@link Attempt#succeeded}, or
   * {@link Attempt#failed} with an {@link EngineException} saying why it could not be read back.
   * Throws nothing but a {@link VirtualMachineError} met while decoding, after reporting the attempt.
   * A {@link RelayedAttempt} gets the bytes instead, undecoded.
   */
  public void reportResult(Attempt attempt, byte[] data, int offset, String from) {
    if (attempt instanceof RelayedAttempt relayed) {
      relayed.relayResult(data, offset);
      return;
    }
    Object result;
    try {
      result = codec.decode(data, offset);
    } catch (Throwable e) {
      attempt.failed(unreadable(attempt, from, e));
      rethrowIfFatal(e);
      return;
    }
    attempt.succeeded(result);
  }

  /**
   * Decodes a task's failure sent back from {@code from} and reports it with {@link Attempt#failed}.
   * Throws nothing but a {@link VirtualMachineError} met while decoding, after reporting the attempt.
   * A {@link RelayedAttempt} gets the bytes instead, undecoded.
   */
  public void reportFailure(Attempt attempt, byte[] data, int offset, String from) {
    if (attempt instanceof RelayedAttempt relayed) {
      relayed.relayFailure(data, offset);
      return;
    }
    Throwable failure;
    try {
      failure = codec.decodeFailure(data, offset);
    } catch (Throwable e) {
      attempt.failed(unreadable(attempt, from, e));
      rethrowIfFatal(e);
      return;
    }
    attempt.failed(failure);
  }

  /** After the attempt is reported: a JVM in trouble (out of memory, an internal error) must still hear of it. */
  private static void rethrowIfFatal(Throwable t) {
    if (t instanceof VirtualMachineError e && !(t instanceof StackOverflowError)) {
      throw e;
    }
  }

  /** The failure an attempt is reported with when what came back from {@code from} cannot be read: says why, in words. */
  public static EngineException unreadable(Attempt attempt, String from, Throwable why) {
    return new EngineException(attempt.taskId(), attempt.taskName(), "its result could not be read back from " + from + ": "
        + whyUnreadable(why), why);
  }

  /**
   * Why bytes could not be read back in this JVM, naming the class when a class is the reason: one
   * missing here, or one whose static initializer fails here (it needs a library, a file or a
   * setting that only the other side has).
   */
  public static String whyUnreadable(Throwable t) {
    if (t instanceof ClassNotFoundException) {
      return "class " + t.getMessage() + " is not on this JVM's classpath (" + t + ")";
    }
    if (t instanceof ExceptionInInitializerError) {
      Throwable cause = t.getCause();
      String cls = null;
      for (StackTraceElement f : cause == null ? new StackTraceElement[0] : cause.getStackTrace()) {
        if (f.getMethodName().equals("<clinit>")) {
          cls = f.getClassName();
          break;
        }
      }
      return "the static initializer of " + (cls == null ? "a class it uses" : "class " + cls) + " failed in this JVM ("
          + t + (cause == null ? "" : " caused by " + cause) + "). Its classes and what they need must be usable here too";
    }
    if (t instanceof NoClassDefFoundError) {
      return "a class it uses cannot be loaded in this JVM (" + t + "; 'Could not initialize class' means its static"
          + " initializer failed here earlier). Its classes and what they need must be usable here too";
    }
    if (t instanceof StackOverflowError) {
      return "it is nested too deeply to be read back (" + t + ")";
    }
    return t.toString();
  }
}
