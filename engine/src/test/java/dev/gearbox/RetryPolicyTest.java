package dev.gearbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  @Test
  void delays_growExponentiallyUpToTheCap() {
    RetryPolicy p = RetryPolicy.newBuilder().maxAttempts(6).backoff(Duration.ofMillis(100), 3, Duration.ofMillis(1000)).build();
    assertThat(p.delayBefore(2)).isEqualTo(Duration.ofMillis(100));
    assertThat(p.delayBefore(3)).isEqualTo(Duration.ofMillis(300));
    assertThat(p.delayBefore(4)).isEqualTo(Duration.ofMillis(900));
    assertThat(p.delayBefore(5)).isEqualTo(Duration.ofMillis(1000));
  }

  @Test
  void retryOn_acceptsOnlyTheGivenTypes_andNeverCancellation() {
    RetryPolicy p = RetryPolicy.newBuilder().retryOn(IOException.class).build();
    assertThat(p.shouldRetry(new IOException())).isTrue();
    assertThat(p.shouldRetry(new IllegalStateException())).isFalse();
    assertThat(RetryPolicy.retries(2).shouldRetry(new CancellationException())).isFalse();
  }

  @Test
  void invalidSettings_failNamingThem() {
    assertThatThrownBy(() -> RetryPolicy.newBuilder().maxAttempts(0)).hasMessageContaining("maxAttempts");
    assertThatThrownBy(() -> RetryPolicy.newBuilder().backoff(Duration.ofSeconds(2), 2, Duration.ofSeconds(1)))
        .hasMessageContaining("max backoff");
  }
}
