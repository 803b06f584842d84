package dev.gearbox.view;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gearbox.Engine;
import dev.gearbox.EngineConfig;
import java.lang.management.ManagementFactory;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/** {@code gearbox.jmx=true}: metrics and the engine's MBean on the platform server while open, gone after close. */
class EngineJmxTest {
  private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();

  @Test
  void theEnginesMetricsAndMBean_areRegisteredWhileOpen_andUnregisteredAtClose() throws Exception {
    ObjectName bean = EngineJmx.objectName("jmx-test");
    ObjectName metrics = new ObjectName(EngineJmx.DOMAIN + ":name=gearbox.jmx-test.*,*");
    try (Engine engine = Engine.open(EngineConfig.newBuilder().backend("direct").name("jmx-test").jmx(true).build())) {
      engine.submit(() -> 42).get();
      assertThat(server.isRegistered(bean)).isTrue();
      assertThat(server.getAttribute(bean, "Submitted")).isEqualTo(1L);
      assertThat(server.getAttribute(bean, "Completed")).isEqualTo(1L);
      assertThat(server.getAttribute(bean, "Backend")).isEqualTo("direct");
      assertThat((String) server.getAttribute(bean, "SnapshotJson")).contains("\"engine\":\"jmx-test\"").contains("\"submitted\":1");
      assertThat((String) server.invoke(bean, "snapshotJson", new Object[] {0}, new String[] {"int"})).contains("\"tasks\":[]");
      assertThat(server.queryNames(metrics, null)).extracting(ObjectName::getKeyPropertyList)
          .anySatisfy(p -> assertThat(p.get("name")).isEqualTo("gearbox.jmx-test.submitted"));
      ObjectName submitted = server.queryNames(metrics, null).stream()
          .filter(n -> n.getKeyProperty("name").equals("gearbox.jmx-test.submitted")).findFirst().orElseThrow();
      assertThat(server.getAttribute(submitted, "Count")).isEqualTo(1L);
    }
    assertThat(server.isRegistered(bean)).isFalse();
    assertThat(server.queryNames(metrics, null)).isEmpty();
  }

  @Test
  void withoutTheKey_nothingIsRegistered() throws Exception {
    try (Engine engine = Engine.open(EngineConfig.newBuilder().backend("direct").name("jmx-off").build())) {
      assertThat(server.isRegistered(EngineJmx.objectName(engine.name()))).isFalse();
    }
  }
}
