package dev.tandem.replay;

import dev.tandem.comparator.Redactor;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * Writes captured exchanges to rotating files in {@link TandemFormat}, on a thread of its own, so that a slow or
 * failing disk never reaches the data plane. {@link #offer} never blocks: the queue holds at most
 * {@code queueRecords} records and {@code queueBytes} of their bodies, and a record beyond that is shed and counted.
 * Redaction runs on the writer thread, before anything is written; trailers are redacted as headers are. A file is
 * written as {@code NAME.part} and renamed to {@code NAME} when it is complete (rotated or closed), so that a reader
 * never takes a half-written gzip file for a damaged one. Rotation by size or age; at most {@code maxFiles} complete
 * files are kept, oldest deleted first.
 */
public final class CaptureWriter implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(CaptureWriter.class.getName());
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
      .withZone(ZoneOffset.UTC);

  /**
   * Where and how captures are written.
   *
   * @param prefix       file names start with it: {@code PREFIX-20261201T101500Z-0001.jsonl.gz}
   * @param maxFileBytes a file is closed once this many bytes of records are written to it, counted before
   *                     compression: a gzip file ends well under it (deflate holds back output, so its compressed
   *                     size would follow late)
   * @param maxFileAge   a file is closed once it is this old, if it holds anything
   * @param maxFiles     complete files kept; 0 keeps all
   * @param retry        after the disk failed, how long records are counted as failed before it is tried again
   */
  public record Options(Path dir, String prefix, long maxFileBytes, Duration maxFileAge, int maxFiles, boolean gzip,
                        int queueRecords, long queueBytes, Duration retry) {

    /** Retrying the disk a second after it failed. */
    public Options(Path dir, String prefix, long maxFileBytes, Duration maxFileAge, int maxFiles, boolean gzip,
                   int queueRecords, long queueBytes) {
      this(dir, prefix, maxFileBytes, maxFileAge, maxFiles, gzip, queueRecords, queueBytes, Duration.ofSeconds(1));
    }
  }

  /** Opens a capture file for writing; a test can make the disk slow or failing here. */
  interface Opener {
    OutputStream open(Path file) throws IOException;
  }

  private final Options options;
  private final Redactor redactor;
  private final Clock clock;
  private final Opener opener;
  private final String writerName;
  /** Records, and requests to complete the current file, in order; records bounded, requests few. */
  private final ArrayDeque<Object> queue = new ArrayDeque<>();
  private int queuedRecords;
  private long queuedBytes;
  private boolean closing;
  private final Thread thread;
  private final LongAdder written = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final AtomicLong bytes = new AtomicLong();
  private final LongAdder files = new LongAdder();
  // Writer thread only:
  private Counting out;
  private OutputStream stream;
  private Path current;
  private Instant opened;
  private long recordBytes;
  private long recordsInFile;
  private final AtomicLong inOpenFile = new AtomicLong();
  private long retryAfterNanos;
  private int sequence;

  public CaptureWriter(Options options, Redactor redactor, String writerName) {
    this(options, redactor, writerName, Clock.systemUTC(), Files::newOutputStream);
  }

  CaptureWriter(Options options, Redactor redactor, String writerName, Clock clock, Opener opener) {
    this.options = options;
    this.redactor = redactor;
    this.writerName = writerName;
    this.clock = clock;
    this.opener = opener;
    this.thread = new Thread(this::run, "tandem-capture-writer");
    thread.setDaemon(true);
    thread.start();
  }

  /** Queues a record; false (and counted as dropped) when the queue is full. Never blocks on the disk. */
  public boolean offer(CaptureRecord r) {
    long size = 512 + r.bodyBytes();
    synchronized (queue) {
      if (closing || queuedRecords >= options.queueRecords() || queuedBytes + size > options.queueBytes()) {
        dropped.increment();
        return false;
      }
      queue.addLast(r);
      queuedRecords++;
      queuedBytes += size;
      queue.notifyAll();
    }
    return true;
  }

  /** Asks for the file being written to be completed once what is queued now is in it. */
  private record Complete(java.util.concurrent.CompletableFuture<Path> done) {
  }

  /**
   * Completes the current file after the records queued before this call, so that it can be read (replayed) now;
   * the next record starts a new file. The future holds the completed file, or null when none was open.
   */
  public java.util.concurrent.CompletableFuture<Path> completeFile() {
    java.util.concurrent.CompletableFuture<Path> done = new java.util.concurrent.CompletableFuture<>();
    synchronized (queue) {
      if (closing) {
        done.complete(null);
        return done;
      }
      queue.addLast(new Complete(done));
      queue.notifyAll();
    }
    return done;
  }

  private void run() {
    while (true) {
      Object item;
      synchronized (queue) {
        while (queue.isEmpty() && !closing) {
          try {
            queue.wait(rotationCheckMillis());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
          if (queue.isEmpty()) {
            break;
          }
        }
        item = queue.pollFirst();
        if (item instanceof CaptureRecord r) {
          queuedRecords--;
          queuedBytes -= 512 + r.bodyBytes();
        }
      }
      if (item instanceof Complete c) {
        Path file = stream == null ? null : current;
        finishFile();
        c.done().complete(file);
        continue;
      }
      CaptureRecord r = (CaptureRecord) item;
      if (r == null) {
        if (closing) {
          finishFile();
          return;
        }
        flushAndRotateByAge();
        continue;
      }
      write(r);
      boolean idle;
      synchronized (queue) {
        idle = queue.isEmpty();
      }
      if (idle) {
        flushAndRotateByAge();
      }
    }
  }

  private long rotationCheckMillis() {
    return Math.max(10, Math.min(1_000, options.maxFileAge().toMillis()));
  }

  private void write(CaptureRecord r) {
    if (stream == null && System.nanoTime() < retryAfterNanos) {
      failed.increment(); // the disk failed a moment ago: not retried for every record
      return;
    }
    try {
      byte[] line = TandemFormat.encode(redact(r));
      if (stream == null) {
        open();
      }
      stream.write(line);
      recordBytes += line.length;
      recordsInFile++;
      inOpenFile.incrementAndGet();
      if (recordBytes >= options.maxFileBytes()) {
        finishFile();
      }
    } catch (IOException | RuntimeException e) {
      failed.increment();
      LOG.log(Level.WARNING, "capture: cannot write to " + (current == null ? options.dir() : current) + ": "
          + e.getMessage());
      abandonFile();
      retryAfterNanos = System.nanoTime() + options.retry().toNanos();
    }
  }

  private CaptureRecord redact(CaptureRecord r) {
    CaptureRecord.Request q = r.request();
    byte[] body = redactor.body(q.body());
    CaptureRecord.Request request = new CaptureRecord.Request(q.method(), redactor.uri(q.uri()), q.version(),
        redactor.headers(q.headers()), body, length(q.body(), body, q.bodyLength()));
    return new CaptureRecord(r.id(), r.time(), r.route(), request, redact(r.primary()), redact(r.shadow()),
        r.replayed().stream().map(this::redact).toList());
  }

  private CaptureRecord.Answer redact(CaptureRecord.Answer a) {
    if (a == null) {
      return null;
    }
    byte[] body = redactor.body(a.body());
    return new CaptureRecord.Answer(a.backend(), a.status(), redactor.headers(a.headers()), body,
        length(a.body(), body, a.bodyLength()), a.latencyNanos(), a.error(), redactor.headers(a.trailers()));
  }

  /** A whole body stays whole after redaction changed its length; a cut one keeps its real length. */
  private static long length(byte[] before, byte[] after, long length) {
    return length == before.length ? after.length : length;
  }

  private void open() throws IOException {
    Files.createDirectories(options.dir());
    opened = clock.instant();
    String name;
    do {
      name = String.format("%s-%s-%04d.jsonl%s", options.prefix(), STAMP.format(opened), ++sequence,
          options.gzip() ? ".gz" : "");
      current = options.dir().resolve(name);
    } while (Files.exists(current) || Files.exists(part(current)));
    out = new Counting(opener.open(part(current)));
    // Small gzip blocks, so that a file's size (and its rotation) follows what was written closely.
    stream = options.gzip() ? new GZIPOutputStream(out, 64 * 1024) : new BufferedOutputStream(out, 64 * 1024);
    files.increment();
    recordBytes = 0;
    stream.write(TandemFormat.headerLine(opened, writerName));
  }

  private static Path part(Path file) {
    return file.resolveSibling(file.getFileName() + ".part");
  }

  private void flushAndRotateByAge() {
    if (stream == null) {
      return;
    }
    try {
      if (!options.gzip()) {
        stream.flush(); // records readable soon after they happen; gzip flushes whole blocks only
      }
    } catch (IOException e) {
      failed.increment();
      abandonFile();
      return;
    }
    if (Duration.between(opened, clock.instant()).compareTo(options.maxFileAge()) >= 0) {
      finishFile();
    }
  }

  /** Closes the current file, gives it its final name, and deletes the oldest beyond {@code maxFiles}. */
  private void finishFile() {
    if (stream == null) {
      return;
    }
    try {
      stream.close();
      Files.move(part(current), current, StandardCopyOption.ATOMIC_MOVE);
      bytes.addAndGet(out.count);
      written.add(recordsInFile);
    } catch (IOException e) {
      failed.add(recordsInFile);
      LOG.log(Level.WARNING, "capture: cannot complete " + current + ": " + e.getMessage());
    }
    inOpenFile.addAndGet(-recordsInFile);
    recordsInFile = 0;
    stream = null;
    out = null;
    retain();
  }

  /** The file failed: its records are counted as failed; the .part stays for whoever looks, until retention. */
  private void abandonFile() {
    if (stream != null) {
      try {
        stream.close();
      } catch (IOException ignored) {
        // already failing
      }
    } else if (out != null) {
      try {
        out.close();
      } catch (IOException ignored) {
        // already failing
      }
    }
    failed.add(recordsInFile);
    inOpenFile.addAndGet(-recordsInFile);
    recordsInFile = 0;
    stream = null;
    out = null;
  }

  private void retain() {
    if (options.maxFiles() <= 0) {
      return;
    }
    List<Path> complete = new ArrayList<>();
    String start = options.prefix() + "-";
    try (Stream<Path> all = Files.list(options.dir())) {
      // Complete files, and .part files left by a failure or a crash (never the one being written).
      all.filter(p -> {
        String n = p.getFileName().toString();
        return n.startsWith(start) && (n.endsWith(".jsonl") || n.endsWith(".jsonl.gz") || n.endsWith(".part"))
            && (current == null || stream == null || !p.equals(part(current)));
      }).sorted().forEach(complete::add);
    } catch (IOException e) {
      LOG.log(Level.WARNING, "capture: cannot list " + options.dir() + ": " + e.getMessage());
      return;
    }
    for (int i = 0; i < complete.size() - options.maxFiles(); i++) {
      try {
        Files.deleteIfExists(complete.get(i));
      } catch (IOException e) {
        LOG.log(Level.WARNING, "capture: cannot delete " + complete.get(i) + ": " + e.getMessage());
      }
    }
  }

  /** Records in completed files. */
  public long written() {
    return written.sum();
  }

  /** Records written to the file still open; they count as written once it is complete. */
  public long inOpenFile() {
    return inOpenFile.get();
  }

  /** Records shed because the queue was full (the disk slower than the traffic). */
  public long dropped() {
    return dropped.sum();
  }

  /** Records that could not be written, or were in a file that could not be completed (the disk failing). */
  public long failed() {
    return failed.sum();
  }

  /** Records waiting for the writer. */
  public int queued() {
    synchronized (queue) {
      return queuedRecords;
    }
  }

  /** Bytes in completed files. */
  public long bytesWritten() {
    return bytes.get();
  }

  public long filesOpened() {
    return files.sum();
  }

  /** Writes what is queued, completes the current file and stops; blocks, so call it off the event loop. */
  @Override
  public void close() {
    synchronized (queue) {
      closing = true;
      queue.notifyAll();
    }
    try {
      thread.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (queue) {
      queue.forEach(o -> {
        if (o instanceof Complete c) {
          c.done().complete(null);
        }
      });
    }
  }

  /** Counts the bytes that reach the file. */
  private static final class Counting extends FilterOutputStream {
    long count;

    Counting(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }
}
