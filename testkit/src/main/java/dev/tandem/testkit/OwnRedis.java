package dev.tandem.testkit;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} of the test's own on a free loopback port, for tests that kill Redis and bring it back.
 * Never the shared one on 6379. Needs {@code redis-server} on the PATH (the build machines have it); without it a
 * test fails under {@code CI=true} and is skipped elsewhere.
 */
public final class OwnRedis implements AutoCloseable {

  private final int port;
  private Process process;

  private OwnRedis(int port) {
    this.port = port;
  }

  public static OwnRedis start() throws IOException, InterruptedException {
    OwnRedis redis;
    try (ServerSocket s = new ServerSocket(0)) {
      redis = new OwnRedis(s.getLocalPort());
    }
    redis.restart();
    return redis;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** Starts (again) on the same port, empty, and waits until it accepts connections. */
  public void restart() throws IOException, InterruptedException {
    String binary = findBinary();
    process = new ProcessBuilder(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no", "--daemonize", "no")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!TestServices.listening(port)) {
      if (System.nanoTime() > deadline || !process.isAlive()) {
        throw new IllegalStateException("redis-server did not start on port " + port);
      }
      Thread.onSpinWait();
    }
  }

  /** Kills the server at once, as a crash would, and waits until it is gone. */
  public void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }

  private static String findBinary() {
    return TestServices.binary("redis-server", "apt-get install redis-server");
  }

}
