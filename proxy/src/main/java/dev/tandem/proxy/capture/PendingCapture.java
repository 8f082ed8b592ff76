package dev.tandem.proxy.capture;

import dev.tandem.comparator.Side;
import dev.tandem.proxy.compare.KeptBody;
import dev.tandem.proxy.mirror.ShadowWatch;
import dev.tandem.replay.CaptureRecord;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One exchange being captured: the request body as it streams to the primary, the primary's answer as it streams
 * to the client, and the first shadow's answer when the request is mirrored. When all are in, the record goes to
 * the writer's queue. Lives on one event loop; each body is kept up to the capture's limit, and its real length
 * counted.
 */
public final class PendingCapture {

  private final Capturing capturing;
  private final String id;
  private final Instant time = Instant.now();
  private final String route;
  private final String method;
  private final String uri;
  private final String version;
  private final List<Map.Entry<String, String>> headers;
  private final KeptBody requestBody;
  private long requestLength;
  private boolean requestEnded;
  private KeptBody primaryBody;
  private long primaryLength;
  private CaptureRecord.Answer primary;
  private CaptureRecord.Answer shadow;
  private boolean waitingForShadow;
  private boolean done;

  PendingCapture(Capturing capturing, String id, String route, String method, String uri, String version,
                 List<Map.Entry<String, String>> headers, long maxBodyBytes) {
    this.capturing = capturing;
    this.id = id;
    this.route = route;
    this.method = method;
    this.uri = uri;
    this.version = version;
    this.headers = headers;
    this.requestBody = new KeptBody(maxBodyBytes);
  }

  public void requestChunk(Buffer chunk) {
    requestBody.add(chunk);
    requestLength += chunk.length();
  }

  public void requestEnded() {
    requestEnded = true;
    complete();
  }

  public void primaryChunk(Buffer chunk) {
    if (primaryBody == null) {
      primaryBody = new KeptBody(capturing.maxBodyBytes());
    }
    primaryBody.add(chunk);
    primaryLength += chunk.length();
  }

  /** The primary's answer has been passed to the client in full. */
  public void primaryEnded(String backend, int status, MultiMap answerHeaders, MultiMap trailers, long nanos) {
    byte[] body = primaryBody == null ? new byte[0] : primaryBody.bytes();
    primary = new CaptureRecord.Answer(backend, status, KeptBody.headers(answerHeaders), body, primaryLength, nanos,
        null, KeptBody.headers(trailers));
    complete();
  }

  /** The primary did not answer; the client got {@code status} from Tandem. */
  public void primaryFailed(String backend, int status, String error, long nanos) {
    primary = new CaptureRecord.Answer(backend, status, List.of(), new byte[0], 0, nanos, error);
    complete();
  }

  /** The client went away before its answer: nothing worth replaying, not written. */
  public void abandon() {
    if (!done) {
      done = true;
      capturing.abandoned();
    }
  }

  /** What the mirror tells of the first shadow's answer; the record waits for it. */
  public ShadowWatch shadowWatch() {
    waitingForShadow = true;
    return new ShadowWatch() {
      @Override
      public long maxBodyBytes() {
        return capturing.maxBodyBytes();
      }

      @Override
      public void answered(Side s) {
        answered(s, 0);
      }

      @Override
      public void answered(Side s, int trailers) {
        List<java.util.Map.Entry<String, String>> all = s.headers();
        int split = all.size() - trailers;
        shadow = new CaptureRecord.Answer(s.name(), s.status(), all.subList(0, split), s.body(),
            s.truncated() ? s.body().length + 1L : s.body().length, s.nanos(), s.error(),
            all.subList(split, all.size()));
        waitingForShadow = false;
        complete();
      }

      @Override
      public void notSent() {
        waitingForShadow = false;
        complete();
      }
    };
  }

  private void complete() {
    if (done || !requestEnded || primary == null || waitingForShadow) {
      return;
    }
    done = true;
    capturing.write(new CaptureRecord(id, time, route, new CaptureRecord.Request(method, uri, version, headers,
        requestBody.bytes(), requestLength), primary, shadow));
  }
}
