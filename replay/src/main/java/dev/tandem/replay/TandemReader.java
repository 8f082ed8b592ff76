package dev.tandem.replay;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Reads Tandem captures ({@link TandemFormat}) line by line. A line that cannot be parsed is reported with its file
 * and line number; a request whose body was cut at the capture limit cannot be replayed faithfully and is reported
 * likewise, never sent short. A recorded answer that was cut is not used as a baseline.
 */
final class TandemReader implements ExchangeSource {

  private final String file;
  private final InputStream in;
  private final int maxRecordBytes;
  private final boolean skipInvalid;
  private final Consumer<String> skipped;
  private byte[] buf = new byte[64 * 1024];
  private int start;
  private int end;
  private boolean eof;
  private long line;

  TandemReader(String file, InputStream in, int maxRecordBytes, boolean skipInvalid, Consumer<String> skipped) {
    this.file = file;
    this.in = in;
    this.maxRecordBytes = maxRecordBytes;
    this.skipInvalid = skipInvalid;
    this.skipped = skipped;
  }

  @Override
  public CapturedExchange next() throws CaptureException {
    String text;
    while ((text = line()) != null) {
      if (text.isBlank()) {
        continue;
      }
      String where = file + ":" + line;
      try {
        // Header lines: the first, and at the start of each file of a concatenation (cat a.jsonl.gz b.jsonl.gz).
        if (line == 1 || text.startsWith("{\"format\"")) {
          if (!TandemFormat.isHeader(text)) {
            throw new IllegalArgumentException("the first line must be the header {\"format\":\""
                + TandemFormat.FORMAT + "\",\"version\":" + TandemFormat.VERSION + ",...}");
          }
          continue;
        }
        CaptureRecord r = TandemFormat.decode(text);
        if (r.request().truncated()) {
          throw new IllegalArgumentException("the request body was cut at the capture limit (" + r.request()
              .body().length + " of " + r.request().bodyLength() + " bytes): raise capture.maxBodyBytes to"
              + " replay it");
        }
        CapturedExchange e = TandemFormat.toExchange(where, r);
        if (r.primary() != null && r.primary().truncated()) {
          e = e.withResponse(null); // a cut answer is no baseline
        }
        return e;
      } catch (IllegalArgumentException e) {
        if (!skipInvalid || line == 1) {
          throw new CaptureException(where, e.getMessage());
        }
        skipped.accept(where + ": " + e.getMessage());
      }
    }
    return null;
  }

  /** The next line without its end, or null at the end of the file. */
  private String line() throws CaptureException {
    int scanFrom = start;
    while (true) {
      for (int i = scanFrom; i < end; i++) {
        if (buf[i] == '\n') {
          line++;
          String s = new String(buf, start, i - start, StandardCharsets.UTF_8);
          start = i + 1;
          return s;
        }
      }
      scanFrom = end;
      if (end - start > maxRecordBytes) {
        throw new CaptureException(file + ":" + (line + 1), "record longer than " + maxRecordBytes
            + " bytes; raise --max-record-bytes if bodies are this large");
      }
      if (eof) {
        if (start == end) {
          return null;
        }
        line++;
        String s = new String(buf, start, end - start, StandardCharsets.UTF_8); // a last line without '\n'
        start = end;
        return s;
      }
      int kept = end - start;
      if (start > 0) {
        System.arraycopy(buf, start, buf, 0, kept);
        scanFrom -= start;
        start = 0;
        end = kept;
      }
      if (end == buf.length) {
        buf = Arrays.copyOf(buf, buf.length * 2);
      }
      try {
        int n = in.read(buf, end, buf.length - end);
        if (n < 0) {
          eof = true;
        } else {
          end += n;
        }
      } catch (IOException e) {
        CaptureException failure = CaptureFiles.readFailure(file + ":" + (line + 1), e);
        if (!skipInvalid) {
          throw failure;
        }
        // A file cut short (a crash while writing .part): what came before is still good.
        skipped.accept(failure.getMessage() + "; the rest of the file is lost, what came before is replayed");
        eof = true;
        end = start; // the partial line after the cut is not a record
      }
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
