package dev.tandem.testkit;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Finds the real PostgreSQL and Redis that tests run against, once per JVM, in this order: the environment
 * ({@code TANDEM_TEST_PG_URL}, {@code TANDEM_TEST_REDIS_URL}); a server already listening on 127.0.0.1:5432 /
 * 127.0.0.1:6379; a Testcontainers container when a Docker engine answers. When none is found, a test under
 * {@code CI=true} fails with how to provide one; elsewhere it is aborted (reported as skipped) with the same advice.
 */
public final class TestServices {

  private static final String PG_ENV = "TANDEM_TEST_PG_URL";
  private static final String REDIS_ENV = "TANDEM_TEST_REDIS_URL";

  private static String postgresUrl;
  private static String redisUrl;

  private TestServices() {
  }

  /** A PostgreSQL URL with a superuser, e.g. {@code postgresql://postgres@127.0.0.1:5432/test}. */
  public static synchronized String postgresUrl() {
    if (postgresUrl == null) {
      postgresUrl = find(PG_ENV, 5432, "postgresql://postgres@127.0.0.1:5432/test", TestServices::startPostgres,
          "PostgreSQL", "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start");
    }
    return postgresUrl;
  }

  /** A Redis URL, e.g. {@code redis://127.0.0.1:6379}. */
  public static synchronized String redisUrl() {
    if (redisUrl == null) {
      redisUrl = find(REDIS_ENV, 6379, "redis://127.0.0.1:6379", TestServices::startRedis, "Redis",
          "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save \"\" --appendonly no");
    }
    return redisUrl;
  }

  /**
   * The path of a program a test starts itself ({@code redis-server}, {@code prometheus}), from the PATH or
   * /usr/bin; without it the test fails under CI, saying how to install it, and is skipped elsewhere.
   */
  public static String binary(String name, String install) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      java.io.File f = new java.io.File(dir, name);
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    for (String candidate : new String[] {"/usr/bin/" + name, "/usr/local/bin/" + name}) {
      if (new java.io.File(candidate).canExecute()) {
        return candidate;
      }
    }
    String message = "this test starts its own " + name + " and found none on the PATH (" + install + ")";
    if (underCi()) {
      Assertions.fail(message);
    }
    Assumptions.abort(message);
    return null;
  }

  /** Whether the tests run under CI, where a missing service fails instead of skipping. */
  public static boolean underCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  private interface Starter {
    String start();
  }

  private static String find(String env, int port, String localUrl, Starter container, String what, String howToStart) {
    String fromEnv = System.getenv(env);
    if (fromEnv == null) {
      fromEnv = System.getProperty(env);
    }
    if (fromEnv != null && !fromEnv.isBlank()) {
      return fromEnv;
    }
    if (listening(port)) {
      return localUrl;
    }
    if (dockerAvailable()) {
      return container.start();
    }
    String message = "this test needs " + what + " and found none: set " + env + ", or start one on 127.0.0.1:"
        + port + " (" + howToStart + "), or run a Docker engine for Testcontainers";
    if (underCi()) {
      Assertions.fail(message);
    }
    Assumptions.abort(message);
    return null;
  }

  /** Whether something accepts TCP connections on 127.0.0.1:{@code port}. */
  public static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  @SuppressWarnings("resource") // lives for the JVM; Testcontainers' reaper removes it
  private static String startPostgres() {
    PostgreSQLContainer pg = new PostgreSQLContainer("postgres:16-alpine");
    pg.start();
    return "postgresql://" + pg.getUsername() + ":" + pg.getPassword() + "@" + pg.getHost() + ":"
        + pg.getMappedPort(5432) + "/" + pg.getDatabaseName();
  }

  @SuppressWarnings("resource")
  private static String startRedis() {
    GenericContainer<?> redis = new GenericContainer<>("redis:7-alpine").withExposedPorts(6379);
    redis.start();
    return "redis://" + redis.getHost() + ":" + redis.getMappedPort(6379);
  }
}
