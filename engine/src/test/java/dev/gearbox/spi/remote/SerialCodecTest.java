package dev.gearbox.spi.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.gearbox.RemoteTaskException;
import java.io.InvalidClassException;
import java.io.NotSerializableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import org.junit.jupiter.api.Test;

class SerialCodecTest {
  private final SerialCodec codec = new SerialCodec(64 * 1024, null, "gearbox.test.max-payload");

  /** Holds something that cannot be serialized, so only its description can travel. */
  static final class Unsendable extends RuntimeException {
    private static final long serialVersionUID = 1L;
    @SuppressWarnings({"unused", "serial"})
    private final Object lock = new Object();

    Unsendable(String message) {
      super(message);
    }
  }

  @Test
  void roundTrip_afterAnOffset() throws Exception {
    byte[] bytes = codec.encode(new ArrayList<>(List.of(1, "two")));
    byte[] framed = new byte[bytes.length + 3];
    System.arraycopy(bytes, 0, framed, 3, bytes.length);
    assertThat(codec.decode(framed, 3)).isEqualTo(List.of(1, "two"));
  }

  @Test
  void aPayloadOverTheLimit_isRefusedNamingTheKey() {
    assertThatThrownBy(() -> codec.encode(new byte[100 * 1024]))
        .isInstanceOf(dev.gearbox.spi.PayloadTooLargeException.class)
        .hasMessageContaining("gearbox.test.max-payload").hasMessageContaining("65536 bytes");
  }

  @Test
  void theClassPattern_rejectsWhatItDenies_onRead() throws Exception {
    SerialCodec strict = new SerialCodec(64 * 1024, "!java.util.ArrayList", "k");
    byte[] bytes = strict.encode(new ArrayList<>(List.of(1)));
    assertThatThrownBy(() -> strict.decode(bytes, 0)).isInstanceOf(InvalidClassException.class);
    assertThat(strict.classPattern()).isEqualTo("!java.util.ArrayList");
    assertThat(codec.classPattern()).isEqualTo(SerialCodec.DENIED);
  }

  /** The pattern's own limits hold for back-references too, as the JDK applies them, in both forms. */
  @Test
  void thePatternsReferenceLimit_refusesBackReferences_namingTheLimitAndTheKey() throws Exception {
    SerialCodec limited = new SerialCodec(64 * 1024, "maxrefs=4", "gearbox.test.max-payload", "gearbox.test.serial-filter");
    String s = "same";
    for (Object value : List.of(new Object[] {s, s, s, s, s, s}, new ArrayList<>(List.of(s, s, s, s, s, s)))) {
      byte[] bytes = limited.encode(value);
      assertThatThrownBy(() -> limited.decode(bytes, 0)).as(value.getClass().getSimpleName())
          .isInstanceOf(InvalidClassException.class)
          .hasMessageContaining("maxrefs=4")
          .hasMessageContaining("gearbox.test.serial-filter");
    }
    SerialCodec wide = new SerialCodec(64 * 1024, "maxrefs=40", "gearbox.test.max-payload", "gearbox.test.serial-filter");
    assertThat((Object[]) wide.decode(wide.encode(new Object[] {s, s, s, s, s, s}), 0)).hasSize(6);
  }

  @Test
  void anInvalidPattern_isAnIllegalArgument() {
    assertThatThrownBy(() -> new SerialCodec(1024, "maxdepth=oops", "k")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anException_travelsAsItself() throws Exception {
    IllegalStateException original = new IllegalStateException("boom", new ArithmeticException("cause"));
    byte[] prefixed = codec.encodeFailure(new byte[] {42}, original);
    assertThat(prefixed[0]).isEqualTo((byte) 42);
    Throwable back = codec.decodeFailure(prefixed, 1);
    assertThat(back).isInstanceOf(IllegalStateException.class).hasMessage("boom")
        .hasCauseInstanceOf(ArithmeticException.class);
    assertThat(back.getStackTrace()).isEqualTo(original.getStackTrace());
  }

  @Test
  void anExceptionThatCannotBeSerialized_arrivesAsItsDescription() throws Exception {
    Unsendable original = new Unsendable("cannot travel");
    assertThatThrownBy(() -> codec.encode(original)).isInstanceOf(NotSerializableException.class);
    Throwable back = codec.decodeFailure(codec.encodeFailure(new byte[0], original), 0);
    assertThat(back).isInstanceOf(RemoteTaskException.class).hasMessageContaining(Unsendable.class.getName())
        .hasMessageContaining("cannot travel");
    assertThat(back.getStackTrace()).isEqualTo(original.getStackTrace());
  }

  @Test
  void whyUnreadable_namesTheClass() {
    assertThat(Payloads.whyUnreadable(new ClassNotFoundException("com.acme.Missing")))
        .contains("com.acme.Missing").contains("classpath");
  }

  /** Sets of sets, each level holding two sets of the next: a few hundred objects, 2^depth hash codes to read back. */
  static Set<Object> nestedHashSets(int depth) {
    Set<Object> root = new HashSet<>();
    Set<Object> s1 = root;
    Set<Object> s2 = new HashSet<>();
    for (int i = 0; i < depth; i++) {
      Set<Object> t1 = new HashSet<>();
      Set<Object> t2 = new HashSet<>();
      t1.add("level " + i);
      s1.add(t1);
      s1.add(t2);
      s2.add(t1);
      s2.add(t2);
      s1 = t1;
      s2 = t2;
    }
    return root;
  }

  @Test
  void hashSetsNestedDeep_areRefusedAtOnce_notReadForEver() throws Exception {
    byte[] bytes = codec.encode(nestedHashSets(60));
    assertThat(bytes.length).isLessThan(64 * 1024);
    assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertThatThrownBy(() -> codec.decode(bytes, 0))
        .isInstanceOf(java.io.InvalidObjectException.class).hasMessageContaining("collections hold each other")
        .hasMessageContaining("denial-of-service"));
  }

  @Test
  void hashSetsNestedShallow_stillRoundTrip() throws Exception {
    Set<Object> shallow = nestedHashSets(10);
    assertThat(codec.decode(codec.encode(shallow), 0)).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.COLLECTION)
        .hasSize(2);
    List<List<Integer>> many = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      many.add(List.of(i));
    }
    SerialCodec big = new SerialCodec(64 << 20, null, "k");
    assertThat(big.decode(big.encode(many), 0)).isEqualTo(many);
  }

  @Test
  void anArrayLongerThanMaxPayload_isRefused_namingTheKey() throws Exception {
    SerialCodec big = new SerialCodec(1 << 20, null, "gearbox.test.max-payload");
    byte[] bytes = big.encode(new int[100_000]);
    assertThatThrownBy(() -> codec.decode(bytes, 0)).isInstanceOf(InvalidClassException.class)
        .hasMessageContaining("array of 100000 elements").hasMessageContaining("gearbox.test.max-payload");
  }

  @Test
  void aRefusedClass_namesTheFilterKey() throws Exception {
    SerialCodec strict = new SerialCodec(64 * 1024, "!java.util.ArrayList", "gearbox.test.max-payload", "gearbox.test.serial-filter");
    byte[] bytes = strict.encode(new ArrayList<>(List.of(1)));
    assertThatThrownBy(() -> strict.decode(bytes, 0)).isInstanceOf(InvalidClassException.class)
        .hasMessageContaining("java.util.ArrayList").hasMessageContaining("gearbox.test.serial-filter");
  }

  /** A singly linked list written by default serialization: one level of recursion per node. */
  static final class Node implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final int value;
    final Node next;

    Node(int value, Node next) {
      this.value = value;
      this.next = next;
    }
  }

  @Test
  void aLinkedChainTooDeepToSerialize_failsSayingSo_notWithAStackOverflow() {
    Node head = null;
    for (int i = 0; i < 100_000; i++) {
      head = new Node(i, head);
    }
    Node chain = head;
    assertThatThrownBy(() -> codec.encode(chain)).isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("nested too deeply to serialize").hasMessageContaining("ArrayList");
  }
}
