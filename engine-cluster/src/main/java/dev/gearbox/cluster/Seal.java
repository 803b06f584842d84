package dev.gearbox.cluster;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The deployment secret at work: every envelope the backend sends over the cluster carries an
 * HMAC-SHA256 of all its fields, computed with a key derived from the secret, and the receiver
 * checks it before it decodes anything in the envelope. Payloads (tasks, results, exceptions) may
 * also be encrypted with AES-256-GCM under a second derived key. Hazelcast's community edition
 * has no authentication of its own, so this is what keeps a host that reaches the cluster's ports
 * from running code on members or forging results.
 *
 * <p>Each MAC starts with its envelope's {@link Kind} and writes every field with its length, so
 * a MAC computed for one kind of envelope (a member's join proof, say) is never valid for another.
 *
 * <p>The secret itself is kept only inside the derived keys and never appears in
 * {@link #toString()}, messages or logs.
 *
 * <p>Thread-safe: the keys are immutable; each thread uses its own {@link Mac} and {@link Cipher}.
 */
final class Seal {
  /** Bytes of a MAC. */
  static final int MAC_BYTES = 32;
  /** Fewest characters a secret may have. */
  static final int MIN_SECRET_CHARS = 16;
  /** The key of a deployment that runs without authentication ({@code gearbox.cluster.insecure=true}): public, so it proves nothing. */
  private static final String INSECURE_KEY = "gearbox insecure cluster: anyone can compute this";
  private static final int IV_BYTES = 12;
  private static final int GCM_TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** What an envelope is; the first input of its MAC. */
  enum Kind {
    TASK, ANSWER, CANCEL, HALT, PROGRESS, PROOF, KILL, CHANNEL_CALL, CHANNEL_REPLY
  }

  private final SecretKeySpec macKey;
  private final SecretKeySpec cipherKey;
  private final boolean insecure;
  private final ThreadLocal<Mac> macs;
  private final ThreadLocal<Cipher> ciphers = ThreadLocal.withInitial(() -> {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no AES/GCM", e);
    }
  });

  private Seal(byte[] secret, boolean insecure) {
    this.macKey = new SecretKeySpec(derive(secret, "gearbox cluster mac v1"), "HmacSHA256");
    this.cipherKey = new SecretKeySpec(derive(secret, "gearbox cluster aes-gcm v1"), "AES");
    Arrays.fill(secret, (byte) 0);
    this.insecure = insecure;
    this.macs = ThreadLocal.withInitial(() -> {
      try {
        Mac m = Mac.getInstance("HmacSHA256");
        m.init(macKey);
        return m;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("this JVM has no HmacSHA256", e);
      }
    });
  }

  /** A seal with the deployment's secret (at least {@link #MIN_SECRET_CHARS} characters, checked by the caller). */
  static Seal withSecret(String secret) {
    return new Seal(secret.getBytes(StandardCharsets.UTF_8), false);
  }

  /** A seal with a random secret: an embedded member, which shares it with no other JVM. */
  static Seal random() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return new Seal(Base64.getEncoder().encode(b), false);
  }

  /** The seal of a deployment that runs without authentication: its key is public. */
  static Seal unauthenticated() {
    return new Seal(INSECURE_KEY.getBytes(StandardCharsets.UTF_8), true);
  }

  /** Whether this seal proves nothing ({@code gearbox.cluster.insecure=true}). */
  boolean insecure() {
    return insecure;
  }

  private static byte[] derive(byte[] secret, String label) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(secret, "HmacSHA256"));
      return m.doFinal(label.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM has no HmacSHA256", e);
    }
  }

  /** Starts the MAC of an envelope of {@code kind}; add its fields in a fixed order, then {@link Fields#mac()}. */
  Fields fields(Kind kind) {
    Mac m = macs.get();
    m.reset();
    m.update((byte) kind.ordinal());
    return new Fields(m);
  }

  /** Whether {@code actual} is the MAC {@code expected} (in constant time); false for a missing or short one. */
  static boolean matches(byte[] expected, byte[] actual) {
    return actual != null && actual.length == MAC_BYTES && MessageDigest.isEqual(expected, actual);
  }

  /** A fresh random value: challenges and nonces. */
  static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  static long randomLong() {
    return RANDOM.nextLong();
  }

  /** {@code plain} encrypted: a random IV, then the AES-GCM ciphertext with its tag. */
  byte[] encrypt(byte[] plain) {
    byte[] iv = randomBytes(IV_BYTES);
    try {
      Cipher c = ciphers.get();
      c.init(Cipher.ENCRYPT_MODE, cipherKey, new GCMParameterSpec(GCM_TAG_BITS, iv));
      byte[] out = new byte[IV_BYTES + c.getOutputSize(plain.length)];
      System.arraycopy(iv, 0, out, 0, IV_BYTES);
      c.doFinal(plain, 0, plain.length, out, IV_BYTES);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  /**
   * The plaintext of what {@link #encrypt} made, from {@code sealed[offset..]}.
   *
   * @throws GeneralSecurityException if it was not encrypted with this deployment's key or was altered
   */
  byte[] decrypt(byte[] sealed, int offset) throws GeneralSecurityException {
    if (sealed.length - offset < IV_BYTES + GCM_TAG_BITS / 8) {
      throw new GeneralSecurityException("encrypted payload too short");
    }
    Cipher c = ciphers.get();
    c.init(Cipher.DECRYPT_MODE, cipherKey, new GCMParameterSpec(GCM_TAG_BITS, sealed, offset, IV_BYTES));
    return c.doFinal(sealed, offset + IV_BYTES, sealed.length - offset - IV_BYTES);
  }

  @Override
  public String toString() {
    return insecure ? "Seal[insecure]" : "Seal[secret not shown]";
  }

  /** The fields of one envelope, fed to its MAC in order, each with its length. Not thread-safe: one per envelope. */
  static final class Fields {
    private final Mac mac;
    private final ByteBuffer scratch = ByteBuffer.allocate(Long.BYTES);

    private Fields(Mac mac) {
      this.mac = mac;
    }

    Fields i64(long v) {
      mac.update(scratch.clear().putLong(v).array(), 0, Long.BYTES);
      return this;
    }

    Fields i32(int v) {
      mac.update(scratch.clear().putInt(v).array(), 0, Integer.BYTES);
      return this;
    }

    Fields bool(boolean v) {
      mac.update((byte) (v ? 1 : 0));
      return this;
    }

    /** A string, or null (told apart from the empty string). */
    Fields text(String s) {
      if (s == null) {
        return i32(-1);
      }
      return bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Bytes, or null (told apart from none). */
    Fields bytes(byte[] b) {
      return bytes(b, 0, b == null ? 0 : b.length);
    }

    /** {@code len} bytes of {@code b} from {@code off}, or null. */
    Fields bytes(byte[] b, int off, int len) {
      if (b == null) {
        return i32(-1);
      }
      i32(len);
      mac.update(b, off, len);
      return this;
    }

    /** The MAC of the fields added; ends this object's use. */
    byte[] mac() {
      return mac.doFinal();
    }
  }
}
