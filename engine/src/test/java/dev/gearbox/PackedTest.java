package dev.gearbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
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

  @Test
  void read_packsHomogeneousBoxes_asPackWould_andStopsAtN() {
    Iterator<Object> ints = List.<Object>of(1, 2, 3, 4, 5).iterator();
    Object chunk = Packed.read(ints, 3, true);
    assertThat(chunk).isInstanceOf(int[].class).isEqualTo(new int[] {1, 2, 3});
    assertThat(Packed.read(ints, 3, true)).isEqualTo(new int[] {4, 5}); // trimmed at the end
    assertThat(Packed.read(ints, 3, true)).isEqualTo(new Object[0]);
    assertThat(Packed.read(List.<Object>of(1L, -2L).iterator(), 4, true)).isEqualTo(new long[] {1L, -2L});
    assertThat(Packed.read(List.<Object>of(0.5, 1.5).iterator(), 2, true)).isEqualTo(new double[] {0.5, 1.5});
    assertThat(Packed.length(chunk)).isEqualTo(3);
    assertThat(Packed.get(chunk, 2)).isEqualTo(3);
    assertThat(Packed.get(new long[] {7L}, 0)).isEqualTo(7L);
    assertThat(Packed.get(new double[] {0.25}, 0)).isEqualTo(0.25);
  }

  @Test
  void read_withoutPacking_orOfOneValue_givesAnObjectArray() {
    assertThat(Packed.read(List.<Object>of(1, 2).iterator(), 2, false)).isEqualTo(new Object[] {1, 2});
    assertThat(Packed.read(List.<Object>of(1, 2).iterator(), 1, true)).isEqualTo(new Object[] {1});
    assertThat(Packed.read(List.<Object>of("a", "b").iterator(), 5, true)).isEqualTo(new Object[] {"a", "b"});
  }

  @Test
  void read_aValueOfAnotherTypeMidChunk_turnsTheChunkIntoObjects_inOrder_andLosesNone() {
    java.util.ArrayList<Object> mixed = new java.util.ArrayList<>(List.of(1, 2, 3L, 4));
    mixed.add(null);
    mixed.add(6);
    Iterator<Object> it = mixed.iterator();
    Object chunk = Packed.read(it, 5, true);
    assertThat(chunk).isInstanceOf(Object[].class);
    assertThat((Object[]) chunk).containsExactly(1, 2, 3L, 4, null);
    assertThat(Packed.read(it, 5, true)).isEqualTo(new int[] {6});
    assertThat((Object[]) Packed.read(List.<Object>of(1.5, 2).iterator(), 3, true)).containsExactly(1.5, 2);
    assertThat((Object[]) Packed.read(List.<Object>of(1L, "x", 3L).iterator(), 3, true)).containsExactly(1L, "x", 3L);
  }

  @Test
  void read_whatTheSourceThrows_passesThrough() {
    Iterator<Object> failing = new Iterator<>() {
      int n;

      @Override
      public boolean hasNext() {
        return true;
      }

      @Override
      public Object next() {
        if (++n == 3) {
          throw new NoSuchElementException("source broke at 3");
        }
        return n;
      }
    };
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Packed.read(failing, 10, true))
        .isInstanceOf(NoSuchElementException.class).hasMessage("source broke at 3");
  }
}
