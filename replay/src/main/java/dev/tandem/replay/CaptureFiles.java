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
      InputStream in = gunzipIfNeeded(raw);
      return switch (detect(name, in)) {
        case TANDEM -> new TandemReader(name, in, maxRecordBytes, skipInvalid, skipped);
        case GOREPLAY -> new GorReader(name, in, maxRecordBytes, skipInvalid, skipped);
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
    return a == 0x1f && b == 0x8b ? new BufferedInputStream(new GZIPInputStream(in, 64 * 1024), 64 * 1024) : in;
  }

  /** The format of {@code in} from its first bytes (the stream is left where it was). */
  static Format detect(String name, InputStream in) throws IOException, CaptureException {
    in.mark(512);
    byte[] head = in.readNBytes(512);
    in.reset();
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
