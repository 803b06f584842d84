package dev.gearbox.spi.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gearbox.Task;
import dev.gearbox.TaskFunction;
import dev.gearbox.spi.PayloadTooLargeException;
import java.io.EOFException;
import java.io.InvalidClassException;
import java.io.InvalidObjectException;
import java.io.NotSerializableException;
import java.io.Serializable;
import java.io.StreamCorruptedException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CompactFormTest {
  private static final byte JDK = (byte) 0xAC;
  private final SerialCodec codec = new SerialCodec(64 * 1024, null, "gearbox.test.max-payload", "gearbox.test.serial-filter");

  static List<Object> values() {
    return Arrays.asList(null, true, false, (byte) -7, (short) -300, 'x', '\uffff', 42, Integer.MIN_VALUE, -5L, Long.MAX_VALUE,
        1.5f, Float.NaN, -0.0, Double.MIN_VALUE, "", "plain", "grüße, 東京, \uD83D\uDE00", new byte[] {1, -2, 3},
        new int[] {1, -2, Integer.MAX_VALUE}, new long[] {Long.MIN_VALUE, 0, 7}, new double[] {0.25, Double.NaN},
        new int[0], new Object[] {1, "two", null, new long[] {3}, new Object[] {4.0}});
  }

  @ParameterizedTest
  @MethodSource("values")
  void everyShape_roundTripsInTheCompactForm(Object value) throws Exception {
    byte[] bytes = codec.encode(value);
    assertThat(bytes[0]).isEqualTo(CompactForm.TAG);
    assertThat(codec.decode(bytes, 0)).isEqualTo(value);
  }

  @Test
  void afterAnOffset_andSmallerThanJdkSerialization() throws Exception {
    long[] value = {1, 2, 3};
    byte[] bytes = codec.encode(value);
    byte[] framed = new byte[bytes.length + 5];
    System.arraycopy(bytes, 0, framed, 5, bytes.length);
    assertThat(codec.decode(framed, 5)).isEqualTo(value);
    assertThat(bytes.length).isEqualTo(1 + 1 + 4 + 24);
  }

  record AroundAnArray(String head, int[] big, boolean tail, String end) implements Serializable {
    @Override
    public boolean equals(Object o) {
      return o instanceof AroundAnArray a && head.equals(a.head) && Arrays.equals(big, a.big) && tail == a.tail && end.equals(a.end);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(big);
    }
  }

  @Test
  void aLargeArrayAndTheFieldsAfterIt_roundTrip_andAnArrayUpToTheLimitStillFits() throws Exception {
    int[] big = new int[5_000];
    Arrays.setAll(big, i -> i * 31);
    AroundAnArray value = new AroundAnArray("h", big, true, "after the array");
    byte[] bytes = codec.encode(value);
    assertThat(bytes[0]).isEqualTo(CompactForm.TAG);
    assertThat(codec.decode(bytes, 0)).isEqualTo(value);
    int[] atTheLimit = new int[(64 * 1024 - 6) / 4]; // tag, kind and length: 6 bytes
    byte[] full = codec.encode(atTheLimit);
    assertThat(full).hasSize(64 * 1024 - 2);
    assertThat(full[0]).isEqualTo(CompactForm.TAG);
    assertThat(codec.decode(full, 0)).isEqualTo(atTheLimit);
  }

  @Test
  void aByteArrayFillingTheLimitExactly_staysCompact_andOneByteMoreIsRefusedNamingTheKey() throws Exception {
    byte[] exact = new byte[64 * 1024 - 6]; // tag, kind and length: 6 bytes
    exact[exact.length - 1] = 7;
    byte[] bytes = codec.encode(exact);
    assertThat(bytes).hasSize(64 * 1024);
    assertThat(bytes[0]).isEqualTo(CompactForm.TAG);
    assertThat((byte[]) codec.decode(bytes, 0)).isEqualTo(exact);
    // One byte more passes the limit in the compact form, and in JDK serialization, its fallback.
    assertThatThrownBy(() -> codec.encode(new byte[exact.length + 1])).isInstanceOf(PayloadTooLargeException.class)
        .hasMessageContaining("gearbox.test.max-payload");
  }

  @Test
  void aStringUtf8CannotCarry_travelsAsJdkSerialization() throws Exception {
    String lone = "a\uD800b";
    byte[] bytes = codec.encode(lone);
    assertThat(bytes[0]).isEqualTo(JDK);
    assertThat(codec.decode(bytes, 0)).isEqualTo(lone);
  }

  static long twice(long x) {
    return 2 * x;
  }

  @Test
  void aLambdaCapturingValues_isRebuiltByItsCapturingClass() throws Exception {
    int n = 20;
    String s = "ab";
    long[] a = {5, 6};
    Task<String> task = () -> s.repeat(n / 10) + a[1];
    byte[] bytes = codec.encode(task);
    assertThat(bytes[0]).isEqualTo(CompactForm.TAG);
    assertThat(((Task<?>) codec.decode(bytes, 0)).call()).isEqualTo("abab6");

    TaskFunction<Long, Long> ref = CompactFormTest::twice;
    byte[] refBytes = codec.encode(ref);
    assertThat(refBytes[0]).isEqualTo(CompactForm.TAG);
    @SuppressWarnings("unchecked")
    TaskFunction<Long, Long> back = (TaskFunction<Long, Long>) codec.decode(refBytes, 0);
    assertThat(back.apply(21L)).isEqualTo(42L);
  }

  /** A record as the core wraps tasks and map chunks: a function, packed inputs, a flag. */
  record Chunk(TaskFunction<Integer, Integer> fn, Object inputs, boolean pack) implements Serializable {}

  @Test
  void aRecordOfLambdasAndArrays_isCompact() throws Exception {
    int offset = 100;
    Chunk chunk = new Chunk(x -> x + offset, new int[] {1, 2, 3}, true);
    byte[] bytes = codec.encode(chunk);
    assertThat(bytes[0]).isEqualTo(CompactForm.TAG);
    Chunk back = (Chunk) codec.decode(bytes, 0);
    assertThat(back.fn().apply(1)).isEqualTo(101);
    assertThat(back.inputs()).isEqualTo(new int[] {1, 2, 3});
    assertThat(back.pack()).isTrue();
  }

  /** Not Serializable: JDK serialization would refuse it, so the compact form must too. */
  record Plain(int x) {}

  @Test
  void otherShapes_fallBackToJdkSerialization_whole() throws Exception {
    ArrayList<Integer> list = new ArrayList<>(List.of(1, 2));
    Task<Integer> capturesAList = () -> list.size();
    byte[] bytes = codec.encode(capturesAList);
    assertThat(bytes[0]).isEqualTo(JDK);
    assertThat(((Task<?>) codec.decode(bytes, 0)).call()).isEqualTo(2);

    Chunk withList = new Chunk(x -> x, list, false);
    assertThat(codec.encode(withList)[0]).isEqualTo(JDK);
    assertThat(((Chunk) codec.decode(codec.encode(withList), 0)).inputs()).isEqualTo(list);

    assertThatThrownBy(() -> codec.encode(new Plain(1))).isInstanceOf(NotSerializableException.class)
        .hasMessageContaining(Plain.class.getName());
  }

  @Test
  void theSameArrayTwice_keepsItsIdentity_throughJdkSerialization() throws Exception {
    int[] shared = {1};
    Object[] both = {shared, shared};
    byte[] bytes = codec.encode(both);
    assertThat(bytes[0]).isEqualTo(JDK);
    Object[] back = (Object[]) codec.decode(bytes, 0);
    assertThat(back[0]).isSameAs(back[1]);
  }

  @Test
  void aLambdaCapturingWhatCannotBeSerialized_isRefusedAsBefore_namingTheClass() {
    Object lock = new Object();
    Task<Integer> task = () -> lock.hashCode();
    assertThatThrownBy(() -> codec.encode(task)).isInstanceOf(NotSerializableException.class)
        .hasMessageContaining("java.lang.Object");
  }

  @Test
  void aDeniedCapturingClass_isRefusedByTheFilter_namingTheKey() throws Exception {
    SerialCodec strict = new SerialCodec(64 * 1024, "!" + CompactFormTest.class.getName(), "gearbox.test.max-payload",
        "gearbox.test.serial-filter");
    int n = 3;
    Task<Integer> task = () -> n;
    byte[] bytes = strict.encode(task);
    assertThat(bytes[0]).isEqualTo(CompactForm.TAG);
    assertThatThrownBy(() -> strict.decode(bytes, 0)).isInstanceOf(InvalidClassException.class)
        .hasMessageContaining("REJECTED").hasMessageContaining(CompactFormTest.class.getName())
        .hasMessageContaining("gearbox.test.serial-filter");
    // inside a record too, and a denied record class itself
    byte[] inRecord = strict.encode(new Chunk(x -> x, null, false));
    assertThatThrownBy(() -> strict.decode(inRecord, 0)).isInstanceOf(InvalidClassException.class)
        .hasMessageContaining("gearbox.test.serial-filter");
    SerialCodec noBoxes = new SerialCodec(64 * 1024, "!java.lang.Long", "k", "gearbox.test.serial-filter");
    assertThatThrownBy(() -> noBoxes.decode(noBoxes.encode(new Object[] {1, 2L}), 0)).isInstanceOf(InvalidClassException.class)
        .hasMessageContaining("java.lang.Long").hasMessageContaining("gearbox.test.serial-filter");
  }

  @Test
  void aPayloadOverTheLimit_isRefusedNamingTheKey() {
    assertThatThrownBy(() -> codec.encode(new long[10_000])).isInstanceOf(PayloadTooLargeException.class)
        .hasMessageContaining("gearbox.test.max-payload");
  }

  @Test
  void anArrayLongerThanTheLimit_isRefusedBeforeItIsAllocated() throws Exception {
    SerialCodec big = new SerialCodec(1 << 20, null, "k");
    byte[] bytes = big.encode(new int[100_000]);
    assertThat(bytes[0]).isEqualTo(CompactForm.TAG);
    assertThatThrownBy(() -> codec.decode(bytes, 0)).isInstanceOf(InvalidClassException.class)
        .hasMessageContaining("array of 100000 elements").hasMessageContaining("gearbox.test.max-payload");
    // a forged length within the limit but beyond the bytes sent
    byte[] forged = codec.encode(new int[] {1});
    forged[2] = 0;
    forged[3] = 0x10; // 4096 elements
    assertThatThrownBy(() -> codec.decode(forged, 0)).isInstanceOf(EOFException.class).hasMessageContaining("4096");
  }

  @Test
  void nestingDeeperThanTheFilterAllows_isRefusedSayingSo() throws Exception {
    Object[] deep = {1};
    for (int i = 0; i < 300; i++) {
      deep = new Object[] {deep};
    }
    SerialCodec big = new SerialCodec(1 << 20, null, "k");
    byte[] bytes = big.encode(deep);
    assertThatThrownBy(() -> big.decode(bytes, 0)).isInstanceOf(InvalidClassException.class)
        .hasMessageContaining("more than " + DecodeFilter.MAX_DEPTH + " deep");
    // the same nesting forged in the compact form
    byte[] forged = new byte[2 + 5 * 300 + 1];
    forged[0] = CompactForm.TAG;
    for (int i = 0; i < 300; i++) {
      forged[1 + 5 * i] = 15; // OBJECTS
      forged[2 + 5 * i] = 1; // one element
    }
    assertThatThrownBy(() -> big.decode(forged, 0)).isInstanceOf(InvalidClassException.class)
        .hasMessageContaining("more than " + DecodeFilter.MAX_DEPTH + " deep");
  }

  @Test
  void malformedBytes_failClearly() throws Exception {
    byte[] bytes = codec.encode("hello");
    assertThatThrownBy(() -> codec.decode(Arrays.copyOf(bytes, bytes.length - 1), 0)).isInstanceOf(EOFException.class)
        .hasMessageContaining("ends early");
    assertThatThrownBy(() -> codec.decode(new byte[] {CompactForm.TAG, 99}, 0)).isInstanceOf(StreamCorruptedException.class)
        .hasMessageContaining("unknown value kind 99");
    assertThatThrownBy(() -> codec.decode(Arrays.copyOf(bytes, bytes.length + 1), 0))
        .isInstanceOf(StreamCorruptedException.class).hasMessageContaining("after its value");
  }

  @Test
  void aForgedRecordOrLambda_isRefused() throws Exception {
    byte[] chunk = codec.encode(new Chunk(null, null, false));
    byte[] missing = replace(chunk, "$Chunk", "$Chonk");
    assertThatThrownBy(() -> codec.decode(missing, 0)).isInstanceOf(ClassNotFoundException.class)
        .hasMessageContaining("Chonk");
    byte[] notSerializable = replace(chunk, "$Chunk", "$Plain");
    assertThatThrownBy(() -> codec.decode(notSerializable, 0)).isInstanceOf(InvalidClassException.class)
        .hasMessageContaining(Plain.class.getName()).hasMessageContaining("not a serializable record");

    // a lambda whose implementation method is not one its capturing class defines
    int n = 1;
    Task<Integer> task = () -> n;
    byte[] forged = replace(codec.encode(task), "lambda$aForged", "lambda_aForged");
    assertThatThrownBy(() -> codec.decode(forged, 0)).isInstanceOf(InvalidObjectException.class)
        .hasMessageContaining(CompactFormTest.class.getName());
  }

  @Test
  void manyRecordsAndBoxes_keepTheAllowedClassesOnceEach_notOncePerInstance() throws Exception {
    SerialCodec big = new SerialCodec(1 << 20, null, "k");
    Object[] many = new Object[2_000];
    for (int i = 0; i < many.length; i++) {
      many[i] = i % 2 == 0 ? new Chunk(null, null, false) : (Object) i;
    }
    byte[] bytes = big.encode(many);
    assertThat(bytes[0]).isEqualTo(CompactForm.TAG);
    CompactForm.Reader r = new CompactForm.Reader(bytes, 0, new DecodeFilter(SerialCodec.DENIED, 1 << 20, "k", "f"));
    assertThat((Object[]) r.value(1)).hasSize(many.length);
    assertThat(r.allowedClassCount()).isEqualTo(3); // Chunk, Boolean, Integer
    assertThat(r.references()).isEqualTo(1 + many.length + many.length / 2);
  }

  @Test
  void tooManyRepeatedBoxesOrStrings_areRefusedAsSoonAsTheyPassTheReferenceLimit() {
    SerialCodec big = new SerialCodec(16 << 20, null, "gearbox.test.max-payload", "gearbox.test.serial-filter");
    for (byte kind : new byte[] {6, 10}) { // INT 0, or an empty string: five bytes each
      int sent = (int) DecodeFilter.MAX_REFERENCES + 1;
      byte[] forged = new byte[1 + 5 + 5 * sent];
      forged[0] = CompactForm.TAG;
      forged[1] = 15; // OBJECTS
      int n = sent + 100_000; // more elements than the bytes sent hold: reading to the end fails otherwise
      forged[2] = (byte) n;
      forged[3] = (byte) (n >> 8);
      forged[4] = (byte) (n >> 16);
      forged[5] = (byte) (n >> 24);
      for (int i = 0; i < sent; i++) {
        forged[6 + 5 * i] = kind;
      }
      assertThatThrownBy(() -> big.decode(forged, 0)).isInstanceOf(InvalidClassException.class)
          .hasMessageContaining("more than " + DecodeFilter.MAX_REFERENCES + " object references");
    }
  }

  @Test
  void aCompactFormOverTheLimit_fallsBackToJdkSerialization_whichSharesRepeatedStrings() throws Exception {
    String s = "x".repeat(1_000);
    Object[] repeated = new Object[100]; // 100 kB in the compact form, 1 kB as JDK serialization
    Arrays.fill(repeated, s);
    byte[] bytes = codec.encode(repeated);
    assertThat(bytes[0]).isEqualTo(JDK);
    assertThat(bytes.length).isLessThan(codec.maxBytes());
    assertThat((Object[]) codec.decode(bytes, 0)).isEqualTo(repeated);
    assertThat(CompactForm.encode(new long[100_000_000], 1 << 20)).isNull(); // refused before an 800 MB buffer is made
  }

  record Pair(int a, int b) implements Serializable {}

  /** The same name length as {@link Pair}, its components swapped. */
  record Riap(int b, int a) implements Serializable {}

  @Test
  void aRecordWhoseComponentsDifferHere_isRefusedNamingItsClass_notReadIntoTheWrongComponents() throws Exception {
    byte[] pair = codec.encode(new Pair(1, 2));
    assertThat(pair[0]).isEqualTo(CompactForm.TAG);
    assertThat(codec.decode(pair, 0)).isEqualTo(new Pair(1, 2));
    byte[] swapped = replace(pair, "$Pair", "$Riap");
    assertThatThrownBy(() -> codec.decode(swapped, 0)).isInstanceOf(InvalidClassException.class)
        .hasMessageContaining(Riap.class.getName()).hasMessageContaining("incompatible");
  }

  static final class Gone {}

  /** A record whose class names {@link Gone}, which the loader below cannot load. */
  record Linked(int x) implements Serializable {
    static Gone use(Gone g) {
      return g;
    }
  }

  @Test
  void aRecordWhoseClassCannotLinkHere_isLeftToJdkSerialization() throws Exception {
    ClassLoader parent = CompactFormTest.class.getClassLoader();
    ClassLoader withoutGone = new ClassLoader(parent) {
      @Override
      protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (name.equals(Gone.class.getName())) {
          throw new ClassNotFoundException(name);
        }
        if (!name.equals(Linked.class.getName())) {
          return super.loadClass(name, resolve);
        }
        synchronized (getClassLoadingLock(name)) {
          Class<?> c = findLoadedClass(name);
          if (c == null) {
            try (var in = parent.getResourceAsStream(name.replace('.', '/') + ".class")) {
              byte[] b = in.readAllBytes();
              c = defineClass(name, b, 0, b.length);
            } catch (java.io.IOException e) {
              throw new ClassNotFoundException(name, e);
            }
          }
          return c;
        }
      }
    };
    Class<?> linked = withoutGone.loadClass(Linked.class.getName());
    var constructor = linked.getDeclaredConstructor(int.class);
    constructor.setAccessible(true);
    Object instance = constructor.newInstance(1);
    assertThatThrownBy(linked::getDeclaredMethods).isInstanceOf(NoClassDefFoundError.class); // the shape this test needs
    assertThat(CompactForm.encode(instance, 1 << 20)).isNull();
    // sent from a JVM where it links, read where it does not: an IOException naming the class
    byte[] bytes = codec.encode(new Linked(1));
    assertThat(bytes[0]).isEqualTo(CompactForm.TAG);
    Thread t = Thread.currentThread();
    ClassLoader before = t.getContextClassLoader();
    t.setContextClassLoader(withoutGone);
    try {
      assertThatThrownBy(() -> codec.decode(bytes, 0)).isInstanceOf(InvalidClassException.class)
          .hasMessageContaining(Linked.class.getName());
    } finally {
      t.setContextClassLoader(before);
    }
  }

  /** {@code bytes} with the first {@code from} replaced by {@code to}, both the same length in UTF-8. */
  private static byte[] replace(byte[] bytes, String from, String to) {
    byte[] f = from.getBytes(StandardCharsets.UTF_8);
    byte[] t = to.getBytes(StandardCharsets.UTF_8);
    assertThat(t).hasSameSizeAs(f);
    byte[] out = bytes.clone();
    for (int i = 0; i + f.length <= out.length; i++) {
      if (Arrays.equals(out, i, i + f.length, f, 0, f.length)) {
        System.arraycopy(t, 0, out, i, t.length);
        return out;
      }
    }
    throw new AssertionError(from + " not found");
  }
}
