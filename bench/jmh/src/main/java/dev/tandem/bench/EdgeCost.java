package dev.tandem.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;

import java.util.Arrays;

/**
 * The edge's cost per exchange, measured in one JVM: blocks of exchanges through the plain pipeline and through the
 * guarded one alternate (both compiled by the same JIT, as in a running Tandem, where the decoder's code is shared),
 * and the median of the paired differences is printed. JMH's separate forks compile each variant on its own and
 * differ by more than the checks cost on this machine; pairing blocks in one process cancels that.
 *
 *   java -cp bench/jmh/target/benchmarks.jar dev.tandem.bench.EdgeCost [blocks] [exchanges per block]
 */
public final class EdgeCost {

  private EdgeCost() {
  }

  public static void main(String[] args) {
    int blocks = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    for (String method : new String[] {"GET", "POST"}) {
      ByteBuf request = EdgeBenchmark.request(method);
      EmbeddedChannel plain = EdgeBenchmark.channel(false);
      EmbeddedChannel strict = EdgeBenchmark.channel(true);
      for (int w = 0; w < 10; w++) { // warm-up: both variants compiled before anything counts
        block(plain, request, n);
        block(strict, request, n);
      }
      double[] p = new double[blocks];
      double[] s = new double[blocks];
      double[] d = new double[blocks];
      for (int b = 0; b < blocks; b++) {
        boolean plainFirst = b % 2 == 0;
        double first = block(plainFirst ? plain : strict, request, n);
        double second = block(plainFirst ? strict : plain, request, n);
        p[b] = plainFirst ? first : second;
        s[b] = plainFirst ? second : first;
        d[b] = s[b] - p[b];
      }
      System.out.printf("%-4s plain %7.0f ns, strict %7.0f ns per exchange; strict - plain: median %5.0f ns"
          + " [p25 %5.0f .. p75 %5.0f] over %d paired blocks of %d%n", method, median(p), median(s), median(d),
          quantile(d, 0.25), quantile(d, 0.75), blocks, n);
    }
  }

  private static double block(EmbeddedChannel channel, ByteBuf request, int n) {
    long sink = 0;
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      sink += EdgeBenchmark.exchange(channel, request);
    }
    long elapsed = System.nanoTime() - start;
    if (sink == 42) {
      System.out.print(""); // keeps the loop's result alive
    }
    return (double) elapsed / n;
  }

  private static double median(double[] v) {
    return quantile(v, 0.5);
  }

  private static double quantile(double[] v, double q) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c[(int) Math.round(q * (c.length - 1))];
  }
}
