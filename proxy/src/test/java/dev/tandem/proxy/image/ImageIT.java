package dev.tandem.proxy.image;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The container image Jib wrote in package ({@code proxy/target/tandem-image.tar}, docker-save format): its entry
 * point, user and environment, and its own layers, run with the local {@code java} through the image's entry point
 * script, answering {@code --version} with this build's version.
 */
class ImageIT {

  @TempDir
  static Path root;

  private static JsonObject config;
  private static final Map<String, Integer> MODES = new HashMap<>();

  @BeforeAll
  static void unpack() throws IOException {
    Path tar = Path.of(System.getProperty("tandem.image.tar", "target/tandem-image.tar"));
    assertThat(tar).as("the image tarball, built by jib:buildTar in package").exists();
    Map<String, byte[]> top = new HashMap<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar))) {
      for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
        top.put(e.getName(), in.readAllBytes());
      }
    }
    JsonObject manifest = new JsonArray(new String(top.get("manifest.json"), StandardCharsets.UTF_8)).getJsonObject(0);
    config = new JsonObject(new String(top.get(manifest.getString("Config")), StandardCharsets.UTF_8))
        .getJsonObject("config");
    for (Object layer : manifest.getJsonArray("Layers")) {
      try (TarArchiveInputStream in = new TarArchiveInputStream(new GZIPInputStream(
          new java.io.ByteArrayInputStream(top.get((String) layer))))) {
        for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
          Path to = root.resolve(e.getName()).normalize();
          assertThat(to.startsWith(root)).as("inside the image: " + e.getName()).isTrue();
          if (e.isDirectory()) {
            Files.createDirectories(to);
          } else {
            Files.createDirectories(to.getParent());
            Files.write(to, in.readAllBytes());
            MODES.put("/" + e.getName().replaceFirst("^\\./", ""), e.getMode() & 0777);
          }
        }
      }
    }
  }

  @Test
  @DisplayName("the entry point is the tandem command, run as a numeric non-root user, with the state directory set")
  void entryPointAndUser() {
    assertThat(config.getJsonArray("Entrypoint").getList()).containsExactly("/usr/local/bin/tandem");
    String user = config.getString("User");
    assertThat(user).matches("[0-9]+(:[0-9]+)?").doesNotStartWith("0");
    assertThat(config.getJsonArray("Env").getList()).contains("TANDEM_STATE_DIR=/var/lib/tandem");
    assertThat(config.getJsonObject("ExposedPorts").fieldNames()).contains("8080/tcp", "8081/tcp");
    assertThat(MODES.get("/usr/local/bin/tandem")).as("the entry point is executable").isEqualTo(0755);
  }

  @Test
  @DisplayName("the image's own layers, run through its entry point with the local java, print this build's version;"
      + " TANDEM_JAVA_OPTS reaches the JVM, and the heap follows the container's memory")
  void versionFromTheLayers() throws Exception {
    // The image's paths are absolute (/app/...): the script and the classpath file are run from where they were
    // unpacked, with /app/ pointing there; nothing else of them is changed.
    Path app = root.resolve("app");
    String classpath = Files.readString(app.resolve("jib-classpath-file")).replace("/app/", app + "/");
    Files.writeString(root.resolve("classpath"), classpath);
    String script = Files.readString(root.resolve("usr/local/bin/tandem"));
    assertThat(script).contains("-XX:MaxRAMPercentage=75", "${TANDEM_JAVA_OPTS:-}", "dev.tandem.proxy.Main \"$@\"");
    Path local = Files.writeString(root.resolve("tandem-local"),
        script.replace("@/app/jib-classpath-file", "@" + root.resolve("classpath")));
    Files.setPosixFilePermissions(local, PosixFilePermissions.fromString("rwxr-xr-x"));
    ProcessBuilder pb = new ProcessBuilder("/bin/sh", local.toString(), "--version");
    pb.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":" + System.getenv("PATH"));
    pb.environment().put("TANDEM_JAVA_OPTS", "-Dtandem.image.check=yes -XshowSettings:properties");
    Process p = pb.start();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread drain = new Thread(() -> copy(p.getErrorStream(), err));
    drain.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    drain.join(10_000);
    assertThat(p.exitValue()).as(err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(out).startsWith("tandem " + System.getProperty("tandem.version") + "\n");
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("tandem.image.check = yes");
  }

  private static void copy(InputStream in, ByteArrayOutputStream to) {
    try {
      in.transferTo(to);
    } catch (IOException ignored) {
      // the process ended
    }
  }
}
