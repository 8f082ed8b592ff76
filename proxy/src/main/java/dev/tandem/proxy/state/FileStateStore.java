package dev.tandem.proxy.state;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.CopyOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The embedded default: one JSON file, {@code {"routes": {...}, "audit": [...]}}, rewritten whole after each change
 * (a temporary file moved over the old one, so a crash leaves either the old or the new state, never half of
 * one). Writes go through Vert.x's non-blocking file system API one after another, never two at once. The audit
 * log in the file keeps the newest {@link #MAX_FILE_AUDIT} entries.
 */
public final class FileStateStore implements StateStore {

  static final int MAX_FILE_AUDIT = 1_000;

  private final Vertx vertx;
  private final String path;
  private final Map<String, JsonObject> routes = new HashMap<>();
  private final Deque<JsonObject> audit = new ArrayDeque<>();
  private Future<Void> loaded;
  private Future<Void> lastWrite = Future.succeededFuture();

  public FileStateStore(Vertx vertx, String path) {
    this.vertx = vertx;
    this.path = path;
  }

  private synchronized Future<Void> loaded() {
    if (loaded == null) {
      loaded = vertx.fileSystem().exists(path).compose(exists -> exists
          ? vertx.fileSystem().readFile(path).map(this::parse)
          : Future.succeededFuture());
    }
    return loaded;
  }

  private synchronized Void parse(Buffer content) {
    JsonObject state;
    try {
      state = content.length() == 0 ? new JsonObject() : new JsonObject(content);
    } catch (DecodeException e) {
      throw new IllegalStateException("state file " + path + " is not valid JSON (" + e.getMessage()
          + "); move it away to start from the configuration's values");
    }
    JsonObject r = state.getJsonObject("routes", new JsonObject());
    r.forEach(e -> {
      if (e.getValue() instanceof JsonObject o) {
        routes.put(e.getKey(), o);
      }
    });
    for (Object o : state.getJsonArray("audit", new JsonArray())) {
      if (o instanceof JsonObject entry) {
        audit.addLast(entry);
      }
    }
    return null;
  }

  @Override
  public Future<Map<String, JsonObject>> load() {
    return loaded().map(v -> {
      synchronized (this) {
        Map<String, JsonObject> copy = new HashMap<>();
        routes.forEach((k, v2) -> copy.put(k, v2.copy()));
        return copy;
      }
    });
  }

  @Override
  public Future<Void> save(String route, JsonObject state) {
    return loaded().compose(v -> {
      synchronized (this) {
        routes.put(route, state.copy());
      }
      return write();
    });
  }

  @Override
  public Future<Void> audit(JsonObject entry) {
    return loaded().compose(v -> {
      synchronized (this) {
        audit.addLast(entry.copy());
        while (audit.size() > MAX_FILE_AUDIT) {
          audit.removeFirst();
        }
      }
      return write();
    });
  }

  @Override
  public Future<List<JsonObject>> audit(int limit) {
    return loaded().map(v -> {
      synchronized (this) {
        List<JsonObject> out = new ArrayList<>();
        Iterator<JsonObject> newestFirst = audit.descendingIterator();
        while (newestFirst.hasNext() && out.size() < limit) {
          out.add(newestFirst.next().copy());
        }
        return out;
      }
    });
  }

  /** Writes the whole state after the previous write has finished. */
  private synchronized Future<Void> write() {
    Buffer content;
    JsonObject r = new JsonObject();
    routes.forEach(r::put);
    content = new JsonObject().put("routes", r).put("audit", new JsonArray(new ArrayList<>(audit)))
        .toBuffer();
    String tmp = path + ".tmp";
    java.nio.file.Path parent = java.nio.file.Path.of(path).toAbsolutePath().getParent();
    lastWrite = lastWrite.transform(ignored -> vertx.fileSystem().mkdirs(parent.toString()))
        .transform(ignored -> vertx.fileSystem().writeFile(tmp, content)
        .compose(v -> vertx.fileSystem().move(tmp, path, new CopyOptions().setReplaceExisting(true)
            .setAtomicMove(true))));
    return lastWrite;
  }

  @Override
  public void onChange(BiConsumer<String, JsonObject> listener) {
    // Only this process writes the file.
  }

  @Override
  public synchronized Future<Void> close() {
    return lastWrite.transform(ignored -> Future.succeededFuture());
  }
}
