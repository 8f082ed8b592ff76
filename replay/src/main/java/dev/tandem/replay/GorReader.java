package dev.tandem.replay;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads GoReplay {@code .gor} files: records separated by {@code \n🐵🙈🙉\n}, each a header line
 * {@code TYPE ID TIMESTAMP LATENCY} (or the old three fields, without latency) — type 1 a request, 2 the original
 * response, 3 a replayed response — then the raw HTTP payload. A last record without its separator is read, not
 * dropped. Records are read as a stream, one at a time, each at most {@code maxRecordBytes}.
 */
public final class GorReader {

  static final byte[] SEPARATOR = "\n\uD83D\uDC35\uD83D\uDE48\uD83D\uDE49\n".getBytes(StandardCharsets.UTF_8);

  private final String file;
  private final InputStream in;
  private final int maxRecordBytes;
  private final byte[] buf = new byte[64 * 1024];
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private long offset;
  private boolean eof;

  public GorReader(String file, InputStream in, int maxRecordBytes) {
    this.file = file;
    this.in = in;
    this.maxRecordBytes = maxRecordBytes;
  }

  /** One raw record: where it starts and its bytes. */
  record Raw(long offset, byte[] bytes) {
  }

  /** The next record's bytes, or null at the end of the file. */
  Raw next() throws IOException, CaptureException {
    while (true) {
      byte[] data = pending.toByteArray();
      int sep = RawHttp.indexOf(data, SEPARATOR, 0);
      if (sep >= 0) {
        long at = offset;
        byte[] record = Arrays.copyOf(data, sep);
        pending.reset();
        pending.write(data, sep + SEPARATOR.length, data.length - sep - SEPARATOR.length);
        offset += sep + SEPARATOR.length;
        return new Raw(at, record);
      }
      if (data.length > maxRecordBytes + SEPARATOR.length) {
        throw new CaptureException(file + "@" + offset, "record longer than " + maxRecordBytes
            + " bytes (or a missing separator); raise the limit if bodies are this large");
      }
      if (eof) {
        pending.reset();
        if (isBlank(data)) {
          return null;
        }
        long at = offset;
        offset += data.length;
        return new Raw(at, data); // the last record, without its separator
      }
      int n = in.read(buf);
      if (n < 0) {
        eof = true;
      } else {
        pending.write(buf, 0, n);
      }
    }
  }

  private static boolean isBlank(byte[] b) {
    for (byte x : b) {
      if (x != '\n' && x != '\r' && x != ' ') {
        return false;
      }
    }
    return true;
  }

  /**
   * Every request of the file with its original response (type 2, matched by id) attached; replayed responses
   * (type 3) are skipped. A record that cannot be parsed stops the read with its offset, unless {@code skipInvalid},
   * when it is counted in {@code problems} instead.
   */
  public static List<CapturedExchange> readAll(String file, InputStream in, int maxRecordBytes, boolean skipInvalid,
                                               List<String> problems) throws IOException, CaptureException {
    GorReader r = new GorReader(file, in, maxRecordBytes);
    List<CapturedExchange> requests = new ArrayList<>();
    Map<String, Integer> byId = new HashMap<>();
    Raw raw;
    while ((raw = r.next()) != null) {
      try {
        // A body may itself contain the separator: when a record's Content-Length says its body goes on, the
        // record continues past the separator, so join it with the next one and parse again.
        while (true) {
          try {
            parse(file, raw, requests, byId);
            break;
          } catch (ShortBody e) {
            Raw more = r.next();
            if (more == null) {
              throw new IllegalArgumentException(e.getMessage());
            }
            byte[] joined = new byte[raw.bytes().length + SEPARATOR.length + more.bytes().length];
            System.arraycopy(raw.bytes(), 0, joined, 0, raw.bytes().length);
            System.arraycopy(SEPARATOR, 0, joined, raw.bytes().length, SEPARATOR.length);
            System.arraycopy(more.bytes(), 0, joined, raw.bytes().length + SEPARATOR.length, more.bytes().length);
            raw = new Raw(raw.offset(), joined);
          }
        }
      } catch (IllegalArgumentException e) {
        String where = file + "@" + raw.offset();
        if (!skipInvalid) {
          throw new CaptureException(where, e.getMessage());
        }
        problems.add(where + ": " + e.getMessage());
      }
    }
    return requests;
  }

  /** The record's body is longer than what lies before the separator. */
  private static final class ShortBody extends RuntimeException {
    ShortBody(String message) {
      super(message, null, false, false);
    }
  }

  private static void parse(String file, Raw raw, List<CapturedExchange> requests, Map<String, Integer> byId) {
    byte[] b = raw.bytes();
    int nl = RawHttp.indexOf(b, new byte[] {'\n'}, 0);
    if (nl < 0) {
      throw new IllegalArgumentException("no header line");
    }
    String[] meta = new String(b, 0, nl, StandardCharsets.UTF_8).trim().split(" ");
    if (meta.length < 3 || meta.length > 4) {
      throw new IllegalArgumentException("header line must be 'TYPE ID TIMESTAMP [LATENCY]', got '"
          + String.join(" ", meta) + "'");
    }
    String type = meta[0];
    String id = meta[1];
    long time;
    long latency;
    try {
      time = Long.parseLong(meta[2]);
      latency = meta.length == 4 ? Long.parseLong(meta[3]) : 0;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("timestamp and latency must be numbers (nanoseconds), got '"
          + String.join(" ", meta) + "'");
    }
    RawHttp.Message m;
    try {
      m = RawHttp.parse(Arrays.copyOfRange(b, nl + 1, b.length));
    } catch (RawHttp.ShortBodyException e) {
      throw new ShortBody(e.getMessage());
    }
    switch (type) {
      case "1" -> {
        String[] start = m.startLine();
        byId.put(id, requests.size());
        requests.add(new CapturedExchange(file + "@" + raw.offset(), id, time, start[0], start[1], m.headers(),
            m.body(), null));
      }
      case "2" -> {
        Integer i = byId.get(id);
        if (i != null) {
          int status;
          try {
            status = Integer.parseInt(m.startLine()[1]);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a status line: '" + String.join(" ", m.startLine()) + "'");
          }
          requests.set(i, requests.get(i).withResponse(new CapturedExchange.Response(status, m.headers(), m.body(),
              latency)));
        }
      }
      case "3" -> {
        // A response from an earlier replay: not an original, not replayed again.
      }
      default -> throw new IllegalArgumentException("unknown record type '" + type + "' (1, 2 or 3)");
    }
  }
}
