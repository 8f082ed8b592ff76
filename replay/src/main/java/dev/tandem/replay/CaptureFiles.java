package dev.tandem.replay;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Opens capture files whatever their format, plain or gzip, detected from their content: GoReplay ({@code .gor},
 * a first line {@code 1 <id> <time>}), or HAR (a JSON object with {@code log}). Several files are merged by
 * timestamp. Every problem names the file (and the place in it).
 */
public final class CaptureFiles {

  /** The formats read. */
  public enum Format { GOREPLAY, HAR }

  private CaptureFiles() {
  }

  public static List<CapturedExchange> read(List<Path> files, int maxRecordBytes, boolean skipInvalid,
                                            List<String> problems) throws CaptureException {
    List<CapturedExchange> all = new ArrayList<>();
    for (Path f : files) {
      all.addAll(read(f, maxRecordBytes, skipInvalid, problems));
    }
    all.sort(Comparator.comparingLong(CapturedExchange::timeNanos));
    return all;
  }

  public static List<CapturedExchange> read(Path file, int maxRecordBytes, boolean skipInvalid,
                                            List<String> problems) throws CaptureException {
    String name = file.toString();
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
      InputStream in = gunzipIfNeeded(raw);
      Format format = detect(name, in);
      return switch (format) {
        case GOREPLAY -> GorReader.readAll(name, in, maxRecordBytes, skipInvalid, problems);
        case HAR -> HarReader.readAll(name, in, skipInvalid, problems);
      };
    } catch (NoSuchFileException e) {
      throw new CaptureException(name, "no such file");
    } catch (ZipException | EOFException e) {
      throw new CaptureException(name, "gzip data is damaged or cut short (" + e.getMessage() + ")");
    } catch (IOException e) {
      throw new CaptureException(name, "cannot be read: " + e.getMessage());
    }
  }

  private static InputStream gunzipIfNeeded(InputStream in) throws IOException {
    in.mark(2);
    int a = in.read();
    int b = in.read();
    in.reset();
    return a == 0x1f && b == 0x8b ? new BufferedInputStream(new GZIPInputStream(in)) : in;
  }

  /** The format of {@code in} from its first bytes (the stream is left where it was). */
  static Format detect(String name, InputStream in) throws IOException, CaptureException {
    in.mark(256);
    byte[] head = in.readNBytes(256);
    in.reset();
    String s = new String(head, java.nio.charset.StandardCharsets.UTF_8).stripLeading();
    if (s.isEmpty()) {
      throw new CaptureException(name, "the file is empty");
    }
    if (s.startsWith("{")) {
      return Format.HAR;
    }
    if (s.matches("(?s)[123] \\S+ \\d+.*")) {
      return Format.GOREPLAY;
    }
    throw new CaptureException(name, "unknown format: neither a GoReplay .gor file (first line '1 <id> <time>')"
        + " nor a HAR file (a JSON object with log.entries)");
  }
}
