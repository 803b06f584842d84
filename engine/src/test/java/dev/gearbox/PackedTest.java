package dev.gearbox;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PackedTest {
  @Test
  void homogeneousBoxedNumbers_becomePrimitiveArrays_andComeBackEqual() {
    Object[] ints = {1, 2, 3};
    Object[] longs = {1L, -2L};
    Object[] doubles = {0.5, 1.5};
    assertThat(Packed.pack(ints)).isInstanceOf(int[].class);
    assertThat(Packed.pack(longs)).isInstanceOf(long[].class);
    assertThat(Packed.pack(doubles)).isInstanceOf(double[].class);
    assertThat(Packed.unpack(Packed.pack(ints))).containsExactly(1, 2, 3);
    assertThat(Packed.unpack(Packed.pack(longs))).containsExactly(1L, -2L);
    assertThat(Packed.unpack(Packed.pack(doubles))).containsExactly(0.5, 1.5);
  }

  @Test
  void mixedTypesNullsAndOtherObjects_travelAsTheyAre() {
    Object[] mixed = {1, 2L};
    Object[] withNull = {1, null};
    Object[] strings = {"a", "b"};
    assertThat(Packed.pack(mixed)).isSameAs(mixed);
    assertThat(Packed.pack(withNull)).isSameAs(withNull);
    assertThat(Packed.pack(strings)).isSameAs(strings);
    assertThat(Packed.unpack(strings)).isSameAs(strings);
  }
}
