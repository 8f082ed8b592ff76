package dev.tandem.proxy.route;

import java.nio.charset.StandardCharsets;

/**
 * Maps a key (a request id, a user id, a sticky cookie) to a point in [0, 100): the same key gives the same point
 * on every instance, in every run and in a replay, and keys spread evenly, so "point below p" selects p percent of
 * keys. Canary assignment and mirror sampling both use it; a canary user is one whose point is below the weight, so
 * raising the weight only adds users and lowering it only removes them.
 */
public final class StablePoint {

  private StablePoint() {
  }

  public static double of(String key) {
    // FNV-1a over the UTF-8 bytes, then a 64-bit finalizer (MurmurHash3's fmix64) so that keys differing in one
    // character land far apart. Fixed constants: the point must not change between processes.
    long h = 0xcbf29ce484222325L;
    for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x100000001b3L;
    }
    h = (h ^ (h >>> 33)) * 0xff51afd7ed558ccdL;
    h = (h ^ (h >>> 33)) * 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return (h >>> 11) * 0x1.0p-53 * 100.0;
  }
}
