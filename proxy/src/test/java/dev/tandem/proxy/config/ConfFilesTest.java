package dev.tandem.proxy.config;

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
    ConfigLoader loader = ConfigLoader.withEnvironment(Map.of("TANDEM_ADMIN_TOKEN", "an-admin-token-for-tests",
        "CI_TOKEN", "a-ci-token-for-tests", "ALICE_TOKEN", "alices-token-for-tests")::get);
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> {
      LoadedConfig loaded = loader.load(f);
      assertThat(loaded.config().routes()).isNotEmpty();
    }));
  }
}
