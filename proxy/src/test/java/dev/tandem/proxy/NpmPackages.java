package dev.tandem.proxy;

import dev.tandem.testkit.TestServices;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The npm packages a test runs with (a schema validator, Playwright), installed from a committed package.json and
 * lock into a directory under target/, never into the source tree; npm ci runs again only when the lock changed.
 */
public final class NpmPackages {

  private NpmPackages() {
  }

  /**
   * Copies {@code files} (package.json and package-lock.json among them) from {@code source} to {@code work} and
   * runs {@code npm ci} there when its lock differs from the source's or nothing is installed yet.
   */
  public static synchronized void install(Path source, Path work, List<String> files) throws Exception {
    Files.createDirectories(work);
    boolean lockChanged = !Files.exists(work.resolve("package-lock.json"))
        || Files.mismatch(source.resolve("package-lock.json"), work.resolve("package-lock.json")) != -1;
    for (String f : files) {
      Files.copy(source.resolve(f), work.resolve(f), StandardCopyOption.REPLACE_EXISTING);
    }
    if (!lockChanged && Files.exists(work.resolve("node_modules/.package-lock.json"))) {
      return;
    }
    String npm = TestServices.binary("npm", "apt-get install npm; .ci/run installs it");
    Path log = work.resolve("npm-ci.log");
    ProcessBuilder pb = new ProcessBuilder(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
        .directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    // Browsers are Debian's (/usr/bin/chromium): Playwright must not fetch its own.
    pb.environment().put("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("npm ci in " + work + " did not finish within 5 minutes");
    }
    if (p.exitValue() != 0) {
      throw new AssertionError("npm ci in " + work + " exited " + p.exitValue() + ":\n" + Files.readString(log));
    }
  }
}
