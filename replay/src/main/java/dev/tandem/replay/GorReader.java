package dev.tandem.replay;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reads GoReplay {@code .gor} files as a stream: records separated by {@code \n🐵🙈🙉\n}, each a header line
 * {@code TYPE ID TIMESTAMP LATENCY} (or the old three fields, without latency) — type 1 a request, 2 the original
 * response, 3 a replayed response — then the raw HTTP payload. A last record without its separator is read, not
 * dropped. A request is handed out once its original response (type 2, same id) has been read, or once
 * {@link #LOOKAHEAD} later records have gone by without it, so memory stays bounded however long the file.
 */
final class GorReader implements ExchangeSource {

  static final byte[] SEPARATOR = "\n\uD83D\uDC35\uD83D\uDE48\uD83D\uDE49\n".getBytes(StandardCharsets.UTF_8);
  /** Records read past a request while waiting for its response. GoReplay writes a response soon after. */
  static final int LOOKAHEAD = 1_000;

  private final String file;
  private final InputStream in;
  private final int maxRecordBytes;
  private final boolean skipInvalid;
  private final Consumer<String> skipped;
  /** A request read, waiting for its response; {@code seq} counts records read, for the lookahead. */
  private static final class Slot {
    CapturedExchange exchange;
    final long seq;

    Slot(CapturedExchange exchange, long seq) {
      this.exchange = exchange;
      this.seq = seq;
    }
  }

  private final ArrayDeque<Slot> waiting = new ArrayDeque<>();
  private final Map<String, Slot> waitingById = new HashMap<>();
  private long recordsRead;
  private byte[] buf = new byte[64 * 1024];
  private int start;
  private int end;
  private int scanned;
  private long offset;
  private boolean eof;

  GorReader(String file, InputStream in, int maxRecordBytes, boolean skipInvalid, Consumer<String> skipped) {
    this.file = file;
    this.in = in;
    this.maxRecordBytes = maxRecordBytes;
    this.skipInvalid = skipInvalid;
    this.skipped = skipped;
  }

  /** One raw record: where it starts and its bytes. */
  record Raw(long offset, byte[] bytes) {
  }

  /**
   * The next request, in file order: the oldest waiting one once its response is in, or once {@link #LOOKAHEAD}
   * records have been read after it (a file recorded without responses never waits longer than that).
   */
  @Override
  public CapturedExchange next() throws CaptureException {
    while (true) {
      Slot head = waiting.peekFirst();
      if (head != null && (head.exchange.response() != null || recordsRead - head.seq >= LOOKAHEAD
          || eof && end == start)) {
        waiting.pollFirst();
        waitingById.remove(head.exchange.id(), head);
        return head.exchange;
      }
      Raw raw = raw();
      if (raw == null) {
        if (waiting.isEmpty()) {
          return null;
        }
        continue;
      }
      recordsRead++;
      record(raw);
    }
  }

  private void record(Raw raw) throws CaptureException {
    try {
      // A body may itself contain the separator: when a record's Content-Length says its body goes on, the
      // record continues past the separator, so join it with the next one and parse again.
      while (true) {
        try {
          parse(raw);
          return;
        } catch (ShortBody e) {
          // Only a piece that is not a record of its own can be the rest of this body; and never past the limit.
          if (eof && end == start || startsWithRecordHeader() || raw.bytes().length > maxRecordBytes) {
            throw new IllegalArgumentException(e.getMessage());
          }
          Raw more = raw();
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
      skipped.accept(where + ": " + e.getMessage());
    }
  }

  /** Whether the bytes after the last separator read look like a record's header line ({@code 1 id time}). */
  private boolean startsWithRecordHeader() throws CaptureException {
    while (end - start < 64 && !eof) {
      fill();
    }
    int n = Math.min(end - start, 64);
    String head = new String(buf, start, n, StandardCharsets.ISO_8859_1);
    return head.matches("(?s)[123] \\S+ \\d+[ \\d]*\n.*");
  }

  /** The next record's bytes, or null at the end of the file. */
  Raw raw() throws CaptureException {
    while (true) {
      int sep = RawHttp.indexOf(buf, SEPARATOR, Math.max(start, scanned), end);
      if (sep >= 0) {
        long at = offset;
        byte[] record = Arrays.copyOfRange(buf, start, sep);
        offset += sep + SEPARATOR.length - start;
        start = sep + SEPARATOR.length;
        scanned = start;
        return new Raw(at, record);
      }
      scanned = Math.max(start, end - SEPARATOR.length + 1);
      if (end - start > maxRecordBytes + SEPARATOR.length) {
        throw new CaptureException(file + "@" + offset, "record longer than " + maxRecordBytes
            + " bytes (or a missing separator); raise --max-record-bytes if bodies are this large");
      }
      if (eof) {
        byte[] rest = Arrays.copyOfRange(buf, start, end);
        start = end;
        if (isBlank(rest)) {
          return null;
        }
        long at = offset;
        offset += rest.length;
        return new Raw(at, rest); // the last record, without its separator
      }
      fill();
    }
  }

  private void fill() throws CaptureException {
    if (start > 0 && start == end) {
      scanned -= start;
      start = end = 0;
    } else if (end == buf.length) {
      if (start > buf.length / 2) {
        System.arraycopy(buf, start, buf, 0, end - start);
        scanned -= start;
        end -= start;
        start = 0;
      } else {
        buf = Arrays.copyOf(buf, buf.length * 2);
      }
    }
    try {
      int n = in.read(buf, end, buf.length - end);
      if (n < 0) {
        eof = true;
      } else {
        end += n;
      }
    } catch (IOException e) {
      CaptureException failure = CaptureFiles.readFailure(file + "@" + (offset + end - start), e);
      if (!skipInvalid) {
        throw failure;
      }
      skipped.accept(failure.getMessage() + "; the rest of the file is lost, what came before is replayed");
      eof = true;
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

  /** The record's body is longer than what lies before the separator. */
  private static final class ShortBody extends RuntimeException {
    ShortBody(String message) {
      super(message, null, false, false);
    }
  }

  private void parse(Raw raw) {
    byte[] b = raw.bytes();
    int nl = RawHttp.indexOf(b, new byte[] {'\n'}, 0, b.length);
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
        String[] line = m.startLine();
        CapturedExchange e = new CapturedExchange(file + "@" + raw.offset(), id, time, line[0], line[1],
            m.headers(), m.body(), null);
        Slot slot = new Slot(e, recordsRead);
        waiting.addLast(slot);
        waitingById.put(id, slot);
      }
      case "2" -> {
        Slot request = waitingById.get(id);
        if (request != null && request.exchange.response() == null) {
          int status;
          try {
            status = Integer.parseInt(m.startLine()[1]);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a status line: '" + String.join(" ", m.startLine()) + "'");
          }
          request.exchange = request.exchange.withResponse(new CapturedExchange.Response(status, m.headers(),
              m.body(), latency));
        }
      }
      case "3" -> {
        // A response from an earlier replay: not an original, not replayed again.
      }
      default -> throw new IllegalArgumentException("unknown record type '" + type + "' (1, 2 or 3)");
    }
  }

  @Override
  public void close() {
    try {
      in.close();
    } catch (IOException ignored) {
      // read-only: nothing to lose
    }
  }
}
