package dev.tandem.testkit;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Databases of a test's own on the test PostgreSQL ({@link TestServices#postgresUrl()}), created with unique names
 * and dropped (with their connections) by {@link #close()}, so that tests never share or leave tables behind.
 */
public final class OwnDatabases implements AutoCloseable {

  private final Vertx vertx = Vertx.vertx();
  private final Pool admin = PgBuilder.pool().connectingTo(TestServices.postgresUrl()).using(vertx).build();
  private final String prefix = "tandem_t_" + UUID.randomUUID().toString().substring(0, 8) + "_";
  private final List<String> created = new ArrayList<>();

  /** Creates a database and answers its URL. */
  public synchronized String create(String purpose) throws Exception {
    String name = prefix + purpose.replaceAll("[^a-z0-9_]", "_");
    admin.query("CREATE DATABASE " + name).execute().await(60, TimeUnit.SECONDS);
    created.add(name);
    return urlFor(name);
  }

  /** The test server's URL with another database. */
  public static String urlFor(String database) {
    String base = TestServices.postgresUrl();
    int slash = base.lastIndexOf('/');
    int query = base.indexOf('?', slash);
    return base.substring(0, slash + 1) + database + (query < 0 ? "" : base.substring(query));
  }

  @Override
  public synchronized void close() throws Exception {
    for (String name : created) {
      admin.query("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").execute().await(60, TimeUnit.SECONDS);
    }
    created.clear();
    vertx.close().await(30, TimeUnit.SECONDS);
  }
}
