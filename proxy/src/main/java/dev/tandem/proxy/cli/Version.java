package dev.tandem.proxy.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version Maven wrote into the jar. */
public final class Version implements CommandLine.IVersionProvider {

  public static String current() {
    try (InputStream in = Version.class.getResourceAsStream("/dev/tandem/proxy/version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  @Override
  public String[] getVersion() {
    return new String[] {"tandem " + current(), "Java " + Runtime.version() + ", Vert.x 5"};
  }
}
