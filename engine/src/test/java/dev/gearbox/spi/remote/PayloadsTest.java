package dev.gearbox.spi.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gearbox.EngineConfigException;
import dev.gearbox.EngineException;
import dev.gearbox.spi.Work;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

class PayloadsTest {
  private final Payloads payloads = new Payloads(new SerialCodec(64 * 1024, null, "gearbox.test.max-payload"), "a test worker");

  @Test
  void aTaskCapturingSomethingNotSerializable_isRejectedAtPrepare_namingTheClassAndTheFix() {
    Object lock = new Object();
    Work work = ctx -> lock.hashCode();
    assertThatThrownBy(() -> payloads.prepare(work)).isInstanceOf(RejectedExecutionException.class)
        .hasMessageContaining("cannot be sent to a test worker").hasMessageContaining("java.lang.Object")
        .hasMessageContaining("in-process backend");
  }

  @Test
  void anAttempt_sendsWhatPrepareKept() {
    byte[] kept = {1, 2, 3};
    assertThat(payloads.workOf(new RecordingAttempt(1, kept, ctx -> null))).isSameAs(kept);
  }

  @Test
  void aResultThatCannotBeReadBack_failsItsAttempt_sayingWhyAndFromWhere() {
    RecordingAttempt a = new RecordingAttempt(1);
    payloads.reportResult(a, new byte[] {0, 1, 2, 3}, 0, "worker-3 pid 42");
    assertThat(a.outcome).isEqualTo("failed");
    assertThat((Throwable) a.value).isInstanceOf(EngineException.class)
        .hasMessageContaining("could not be read back from worker-3 pid 42");
  }

  @Test
  void aResultAndAFailure_areReportedAsThemselves() throws Exception {
    RecordingAttempt ok = new RecordingAttempt(1);
    payloads.reportResult(ok, payloads.codec().encode("fine"), 0, "w");
    assertThat(ok.outcome).isEqualTo("succeeded");
    assertThat(ok.value).isEqualTo("fine");
    RecordingAttempt failed = new RecordingAttempt(2);
    payloads.reportFailure(failed, payloads.codec().encodeFailure(new byte[0], new IllegalStateException("own")), 0, "w");
    assertThat(failed.outcome).isEqualTo("failed");
    assertThat((Throwable) failed.value).isInstanceOf(IllegalStateException.class).hasMessage("own");
  }

  private static MapSettings settings(String key, String value) {
    return new MapSettings("e", 1, Duration.ofSeconds(1), Map.of(key, value));
  }

  @Test
  void maxPayload_outOfRange_failsNamingTheKeyAndTheRange() {
    for (String bad : new String[] {"512", "3g", "0"}) {
      assertThatThrownBy(() -> SerialCodec.maxPayload(settings("gearbox.x.max-payload", bad), "gearbox.x.max-payload"))
          .isInstanceOf(EngineConfigException.class).hasMessageContaining("gearbox.x.max-payload=" + bad)
          .hasMessageContaining("from 1k to");
    }
    assertThat(SerialCodec.maxPayload(settings("gearbox.x.max-payload", "512m"), "gearbox.x.max-payload"))
        .isEqualTo(512 * 1024 * 1024);
    assertThat(SerialCodec.maxPayload(settings("other", "1"), "gearbox.x.max-payload")).isEqualTo(SerialCodec.DEFAULT_MAX_BYTES);
  }

  @Test
  void aBadFilter_failsNamingItsKey() {
    assertThatThrownBy(() -> SerialCodec.configured(settings("gearbox.x.serial-filter", "maxdepth=oops"), "gearbox.x.max-payload",
        "gearbox.x.serial-filter")).isInstanceOf(EngineConfigException.class).hasMessageContaining("gearbox.x.serial-filter=");
  }

  @Test
  void theArrayLimit_followsMaxPayload() throws Exception {
    SerialCodec big = new SerialCodec(80_000_000, null, "k");
    byte[] large = new byte[60_000_000];
    assertThat((byte[]) big.decode(big.encode(large), 0)).hasSize(60_000_000);
  }
}
