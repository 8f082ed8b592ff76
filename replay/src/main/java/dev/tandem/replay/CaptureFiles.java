package dev.tandem.replay;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Opens capture files whatever their format, plain or gzip, detected from their content: Tandem's own (a first
 * line {@code {"format":"tandem-capture",...}}), GoReplay ({@code .gor}, a first line {@code 1 <id> <time>}), or
 * HAR (a JSON object with {@code log}). Several files are merged by timestamp as they are read, each file holding
 * one record at a time (a HAR file, one JSON document, is read whole). Every problem names the file and the place.
 */
public final class CaptureFiles {

  /** The formats read. */
  public enum Format { TANDEM, GOREPLAY, HAR }

  private CaptureFiles() {
  }

  /** Every exchange of the files, merged by time, in memory: for small captures and tests. */
  public static List<CapturedExchange> read(List<Path> files, int maxRecordBytes, boolean skipInvalid,
                                            List<String> problems) throws CaptureException {
    List<CapturedExchange> all = new ArrayList<>();
    try (ExchangeSource s = open(files, maxRecordBytes, skipInvalid, problems::add)) {
      CapturedExchange e;
      while ((e = s.next()) != null) {
        all.add(e);
      }
    }
    return all;
  }

  /**
   * The exchanges of the files, merged by time, read as they are pulled.
   *
   * @param skipped told of each record skipped as invalid (with {@code skipInvalid}), with its place and why
   */
  public static ExchangeSource open(List<Path> files, int maxRecordBytes, boolean skipInvalid,
                                    Consumer<String> skipped) throws CaptureException {
    List<ExchangeSource> sources = new ArrayList<>();
    try {
      for (Path f : files) {
        sources.add(open(f, maxRecordBytes, skipInvalid, skipped));
      }
      return sources.size() == 1 ? sources.get(0) : new Merged(sources);
    } catch (CaptureException | RuntimeException e) {
      sources.forEach(ExchangeSource::close);
      throw e;
    }
  }

  static ExchangeSource open(Path file, int maxRecordBytes, boolean skipInvalid, Consumer<String> skipped)
      throws CaptureException {
    String name = file.toString();
    InputStream raw = null;
    try {
      raw = new BufferedInputStream(Files.newInputStream(file), 64 * 1024);
      // No buffering stream over gzip: a BufferedInputStream reads on while bytes are "available", and the
      // exception at a cut-short end would take the bytes already inflated with it.
      java.io.PushbackInputStream in = new java.io.PushbackInputStream(gunzipIfNeeded(raw), HEAD_BYTES);
      byte[] head = in.readNBytes(HEAD_BYTES);
      in.unread(head);
      return switch (detect(name, head)) {
        case TANDEM -> new Reordered(new TandemReader(name, in, maxRecordBytes, skipInvalid, skipped));
        case GOREPLAY -> new Reordered(new GorReader(name, in, maxRecordBytes, skipInvalid, skipped));
        case HAR -> {
          try (InputStream har = in) {
            yield new ListSource(HarReader.readAll(name, har, skipInvalid, skipped));
          }
        }
      };
    } catch (NoSuchFileException e) {
      throw new CaptureException(name, "no such file");
    } catch (IOException e) {
      closeQuietly(raw);
      throw readFailure(name, e);
    } catch (CaptureException | RuntimeException e) {
      closeQuietly(raw);
      throw e;
    }
  }

  /** A read that failed, said as a user can act on it. */
  static CaptureException readFailure(String where, IOException e) {
    if (e instanceof ZipException || e instanceof EOFException) {
      return new CaptureException(where, "gzip data is damaged or cut short (" + e.getMessage() + ")");
    }
    return new CaptureException(where, "cannot be read: " + e.getMessage());
  }

  private static void closeQuietly(InputStream in) {
    if (in != null) {
      try {
        in.close();
      } catch (IOException ignored) {
        // already failing
      }
    }
  }

  private static InputStream gunzipIfNeeded(InputStream in) throws IOException {
    in.mark(2);
    int a = in.read();
    int b = in.read();
    in.reset();
    return a == 0x1f && b == 0x8b ? new GZIPInputStream(in, 64 * 1024) : in;
  }

  /** Bytes looked at to tell the format. */
  static final int HEAD_BYTES = 512;

  /** The format from a file's first bytes. */
  static Format detect(String name, byte[] head) throws CaptureException {
    String s = new String(head, StandardCharsets.UTF_8).stripLeading();
    if (s.isEmpty()) {
      throw new CaptureException(name, "the file is empty");
    }
    if (s.startsWith("{") && s.matches("(?s)\\{\\s*\"format\"\\s*:\\s*\"" + TandemFormat.FORMAT + "\".*")) {
      return Format.TANDEM;
    }
    if (s.startsWith("{")) {
      return Format.HAR;
    }
    if (s.matches("(?s)[123] \\S+ \\d+.*")) {
      return Format.GOREPLAY;
    }
    throw new CaptureException(name, "unknown format: not a Tandem capture (first line {\"format\":\""
        + TandemFormat.FORMAT + "\",...}), a GoReplay .gor file (first line '1 <id> <time>')"
        + " nor a HAR file (a JSON object with log.entries)");
  }

  /** Exchanges already in memory. */
  static final class ListSource implements ExchangeSource {
    private final Iterator<CapturedExchange> it;

    ListSource(List<CapturedExchange> exchanges) {
      this.it = exchanges.iterator();
    }

    @Override
    public CapturedExchange next() {
      return it.hasNext() ? it.next() : null;
    }

    @Override
    public void close() {
    }
  }

  /**
   * Puts a file's records back in time order within a window. A capture is written as exchanges complete, not as
   * they arrive (a slow shadow holds a record back), and a GoReplay file from several threads is not strictly
   * sorted either; a record is handed out once a record {@link #WINDOW_NANOS} later has been read, or when
   * {@link #MAX_HELD} (or {@link #MAX_HELD_BYTES} of bodies) are held, so memory stays bounded.
   */
  static final class Reordered implements ExchangeSource {
    static final long WINDOW_NANOS = 60_000_000_000L;
    static final int MAX_HELD = 10_000;
    static final long MAX_HELD_BYTES = 64L * 1024 * 1024;

    private record Held(CapturedExchange exchange, long seq) {
    }

    private final ExchangeSource source;
    private final PriorityQueue<Held> held = new PriorityQueue<>((a, b) -> {
      int c = Long.compare(a.exchange.timeNanos(), b.exchange.timeNanos());
      return c != 0 ? c : Long.compare(a.seq, b.seq);
    });
    private long seq;
    private long bytes;
    private long newest = Long.MIN_VALUE;
    private boolean ended;

    Reordered(ExchangeSource source) {
      this.source = source;
    }

    @Override
    public CapturedExchange next() throws CaptureException {
      while (!ended && (held.isEmpty() || held.size() < MAX_HELD && bytes < MAX_HELD_BYTES
          && newest - held.peek().exchange.timeNanos() < WINDOW_NANOS)) {
        CapturedExchange e = source.next();
        if (e == null) {
          ended = true;
        } else {
          held.add(new Held(e, seq++));
          bytes += weight(e);
          newest = Math.max(newest, e.timeNanos());
        }
      }
      Held h = held.poll();
      if (h == null) {
        return null;
      }
      bytes -= weight(h.exchange);
      return h.exchange;
    }

    private static long weight(CapturedExchange e) {
      return e.body().length + (e.response() == null ? 0 : e.response().body().length);
    }

    @Override
    public void close() {
      source.close();
    }
  }

  /** Several files merged by time: holds one record per file; ties go to the file named first. */
  static final class Merged implements ExchangeSource {
    private record Head(CapturedExchange exchange, int file) {
    }

    private final List<ExchangeSource> sources;
    private final PriorityQueue<Head> heads = new PriorityQueue<>((a, b) -> {
      int c = Long.compare(a.exchange.timeNanos(), b.exchange.timeNanos());
      return c != 0 ? c : Integer.compare(a.file, b.file);
    });
    private boolean started;

    Merged(List<ExchangeSource> sources) {
      this.sources = List.copyOf(sources);
    }

    @Override
    public CapturedExchange next() throws CaptureException {
      if (!started) {
        started = true;
        for (int i = 0; i < sources.size(); i++) {
          pull(i);
        }
      }
      Head h = heads.poll();
      if (h == null) {
        return null;
      }
      pull(h.file);
      return h.exchange;
    }

    private void pull(int file) throws CaptureException {
      CapturedExchange e = sources.get(file).next();
      if (e != null) {
        heads.add(new Head(e, file));
      }
    }

    @Override
    public void close() {
      sources.forEach(ExchangeSource::close);
    }
  }
}
