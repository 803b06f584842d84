package dev.gearbox.spi.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gearbox.RemoteTaskException;
import java.io.InvalidClassException;
import java.io.NotSerializableException;
import java.util.ArrayList;
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
}
