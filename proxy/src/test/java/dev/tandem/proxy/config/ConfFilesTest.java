package dev.tandem.proxy.config;

import dev.tandem.testkit.TestCertificates;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Every example in conf/ loads without errors, so the documentation cannot drift from the loader. */
class ConfFilesTest {

  private static final Path CONF = Path.of("..", "conf");

  @TestFactory
  @DisplayName("every file in conf/ loads")
  Stream<DynamicTest> everyExampleLoads() throws IOException {
    List<Path> files;
    try (Stream<Path> list = Files.list(CONF)) {
      files = list.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
    }
    assertThat(files).as("examples in " + CONF.toAbsolutePath()).isNotEmpty();
    // conf/edge.yaml names certificate files, which must exist: a CA of the test's own issues them.
    Path tls = Files.createTempDirectory("tandem-conf-tls");
    tls.toFile().deleteOnExit();
    TestCertificates.Issued issued = TestCertificates.authority("conf CA").issue(tls, "tls", "tandem.test",
        java.math.BigInteger.ONE, "DNS:tandem.test");
    issued.cert().toFile().deleteOnExit();
    issued.key().toFile().deleteOnExit();
    ConfigLoader loader = ConfigLoader.withEnvironment(Map.of("TANDEM_ADMIN_TOKEN", "an-admin-token-for-tests",
        "CI_TOKEN", "a-ci-token-for-tests", "ALICE_TOKEN", "alices-token-for-tests",
        "TANDEM_TLS_DIR", tls.toString())::get);
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
      LoadedConfig loaded = loader.load(f);
      assertThat(loaded.config().routes()).isNotEmpty();
    }));
  }
}
