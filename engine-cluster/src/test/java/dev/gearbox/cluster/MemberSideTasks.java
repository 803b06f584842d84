package dev.gearbox.cluster;

import dev.gearbox.Task;
import java.io.Serializable;

/**
 * Tasks that every member started by {@link MemberJvm} can run, whatever its classpath (this
 * class is copied to them with {@link TestMemberMain}), whose result or exception has a class
 * that initializes on members only: a stand-in for a class whose static initializer needs a
 * library, file or setting that only the members have. In the test JVM (the engine) it fails to
 * initialize: {@link ExceptionInInitializerError} the first time, {@link NoClassDefFoundError}
 * after that.
 */
public final class MemberSideTasks {
  /** Set by {@link TestMemberMain} in member JVMs. */
  static final String MEMBER_PROPERTY = "gearbox.test.member";

  private MemberSideTasks() {}

  static Task<Object> returnsAMemberOnlyResult() {
    return () -> new MemberOnlyResult();
  }

  static Task<Object> throwsAMemberOnlyException() {
    return () -> {
      throw new MemberOnlyException("thrown on the member");
    };
  }

  static void requireMember() {
    if (!Boolean.getBoolean(MEMBER_PROPERTY)) {
      throw new IllegalStateException("this class initializes on test members only");
    }
  }

  /** A result that can be created on a member only. */
  static final class MemberOnlyResult implements Serializable {
    private static final long serialVersionUID = 1L;

    static {
      requireMember();
    }
  }

  /** A task exception that can be created on a member only. */
  static final class MemberOnlyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    static {
      requireMember();
    }

    MemberOnlyException(String message) {
      super(message);
    }
  }
}
